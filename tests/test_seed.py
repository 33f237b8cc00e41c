"""`python -m app --demo`: demo data on an empty database, and never twice."""

from collections.abc import Iterator

import asyncpg
import pytest

from app.db.reads import asyncpg_dsn
from app.db.scratch import scratch_database
from app.seed import PEOPLE, seed


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    with scratch_database(None) as url:
        yield url


async def test_demo_data_loads_once(empty_database: str) -> None:
    assert await seed(empty_database) is True
    assert await seed(empty_database) is False
    connection = await asyncpg.connect(asyncpg_dsn(empty_database))
    try:
        users = await connection.fetchval("SELECT count(*) FROM users")
        published = await connection.fetchval(
            "SELECT count(*) FROM posts WHERE status = 'published'"
        )
        two_tags = await connection.fetchval("SELECT bool_and(cardinality(tags) = 2) FROM posts")
        admins = await connection.fetch("SELECT email FROM users WHERE role = 'admin'")
    finally:
        await connection.close()
    assert users == len(PEOPLE)
    assert published == 24
    assert two_tags is True
    assert [row["email"] for row in admins] == ["ada@example.com"]
