"""The production wiring end to end: no fixture swaps a pool or a session factory here.

Each server is `create_app()` under uvicorn in its own process (contracts_tests.live_server):
its lifespan's engine pool and read pool at their configured sizes, real commits, a real socket,
on a PostgreSQL this module owns so that it can restart it under load. The tests assert what
clients are answered and what the database holds afterwards, never how fast.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from app.db.reads import asyncpg_dsn
from tests.helpers import POSTS, create_comment, create_post
from tests.stress.load import (
    Account,
    Ledger,
    all_of,
    client,
    missing_writes,
    running,
    sign_up,
    write_chain,
    write_chains,
)
from tests.stress.postgres import RestartablePostgres, restartable_postgres
from tests.stress.server import capacity_server

RECOVERY_DEADLINE_SECONDS = 30


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str


@pytest.fixture(scope="module")
def postgres() -> Iterator[RestartablePostgres]:
    with restartable_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def server(postgres: RestartablePostgres) -> Iterator[Server]:
    """At the default pool sizes (DATABASE_POOL_SIZE=10, DATABASE_READ_POOL_SIZE=5)."""
    with capacity_server(postgres.url) as (base_url, database_url):
        yield Server(base_url, database_url)


@pytest.fixture
def small_pool_server(postgres: RestartablePostgres) -> Iterator[Server]:
    pools = capacity_server(postgres.url, DATABASE_POOL_SIZE="2", DATABASE_READ_POOL_SIZE="2")
    with pools as (base_url, database_url):
        yield Server(base_url, database_url)


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with client(server.base_url) as session:
        yield session


async def _rows(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows
    finally:
        await connection.close()


async def test_a_published_post_is_there_at_once_for_another_connection(
    server: Server, http: httpx.AsyncClient
) -> None:
    (account,) = await sign_up(http, server.database_url, 1)
    for n in range(5):
        post = await create_post(http, account.tokens, publish=True, title=f"Fresh {n}")
        # A new client: a new socket, so nothing but the database links the write and the read.
        async with client(server.base_url) as other:
            read = await other.get(f"{POSTS}/{post['id']}")
            listed = await other.get(POSTS)
        assert read.status_code == 200, read.text
        assert read.json()["title"] == f"Fresh {n}"
        assert listed.status_code == 200, listed.text
        assert post["id"] in [item["id"] for item in listed.json()["items"]]


async def test_readers_and_writers_together_at_the_default_pool_sizes(
    server: Server, http: httpx.AsyncClient
) -> None:
    accounts = await sign_up(http, server.database_url, 10)
    ledger = Ledger()
    assert await write_chain(http, accounts[0], ledger), ledger.report()  # something to read
    # Writers on a client of their own, as they would be: behind the readers' requests in one
    # client's pool they would reach the server one by one rather than together.
    async with (
        client(server.base_url) as writing,
        running([http], ledger, accounts, writers=0, readers=40),
    ):
        await all_of(*(write_chains(writing, accounts[n % 10], ledger, 3) for n in range(20)))
    assert set(ledger.statuses()) <= {200, 201}, ledger.report()
    assert await missing_writes(server.database_url, ledger) == []


async def test_fifty_simultaneous_signed_in_writers_are_all_served(
    server: Server, http: httpx.AsyncClient
) -> None:
    accounts = await sign_up(http, server.database_url, 10)
    ledger = Ledger()
    await all_of(*(write_chains(http, accounts[n % 10], ledger, 2) for n in range(50)))
    assert set(ledger.statuses()) <= {200, 201}, ledger.report()
    assert await missing_writes(server.database_url, ledger) == []


async def test_a_small_pool_answers_writers_or_says_when_to_retry(
    small_pool_server: Server,
) -> None:
    async with client(small_pool_server.base_url) as http:
        accounts = await sign_up(http, small_pool_server.database_url, 5)
        ledger = Ledger()
        await all_of(*(write_chains(http, accounts[n % 5], ledger, 2) for n in range(20)))
    # 503 only as a problem with Retry-After (a pool that cannot serve in time); never a 500.
    assert ledger.unexplained(allow_503=True) == [], ledger.report(allow_503=True)
    assert ledger.posts, ledger.report(allow_503=True)  # two connections still serve writes
    assert await missing_writes(small_pool_server.database_url, ledger) == []


async def _race_round(
    http: httpx.AsyncClient, ledger: Ledger, cast: dict[str, Any], posts: list[str]
) -> None:
    """The admin deletes a user while that user comments on the author's posts, the author
    deletes one of the user's comments and others comment too."""
    (victim,) = await sign_up(http, cast["database_url"], 1)
    earlier = [await create_comment(http, victim.tokens, post_id) for post_id in posts]
    doomed = f"{POSTS}/{earlier[0]['post_id']}/comments/{earlier[0]['id']}"

    def comment(account: Account, n: int) -> Any:
        url = f"{POSTS}/{posts[n % len(posts)]}/comments"
        headers = account.headers
        return ledger.send(http, "comment", "POST", url, json={"body": "r"}, headers=headers)

    await all_of(
        *(comment(victim, n) for n in range(4)),
        ledger.send(http, "uncomment", "DELETE", doomed, headers=cast["author"].headers),
        *(comment(other, n) for n, other in enumerate(cast["others"])),
        ledger.send(
            http,
            "deluser",
            "DELETE",
            f"/api/v1/users/{victim.user_id}",
            headers=cast["admin"].headers,
        ),
    )


async def test_comment_counts_stay_exact_while_commenters_are_deleted(
    server: Server, http: httpx.AsyncClient
) -> None:
    admin, author, *others = await sign_up(http, server.database_url, 4)
    await _rows(server.database_url, "UPDATE users SET role = 'admin' WHERE id = $1", admin.user_id)
    posts = [(await create_post(http, author.tokens, publish=True))["id"] for _ in range(3)]
    ledger = Ledger()
    cast = {"admin": admin, "author": author, "others": others, "database_url": server.database_url}
    for _ in range(8):
        await _race_round(http, ledger, cast, posts)
    assert ledger.unexplained(allow_503=False) == [], ledger.report()
    assert ledger.statuses()[204] >= 8, ledger.report()  # every round deleted its user
    drifted = await _rows(
        server.database_url,
        "SELECT p.id, p.comment_count, count(c.id) AS comments FROM posts p "
        "LEFT JOIN comments c ON c.post_id = p.id "
        "GROUP BY p.id HAVING p.comment_count <> count(c.id)",
    )
    assert [dict(row) for row in drifted] == []


async def _recovered(http: httpx.AsyncClient, account: Account, ledger: Ledger) -> bool:
    """Poll until a public read and a signed-in write both succeed, or the deadline passes."""
    deadline = asyncio.get_running_loop().time() + RECOVERY_DEADLINE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        read = await ledger.send(http, "list", "GET", POSTS)
        readable = read is not None and read.status_code == 200
        if readable and await write_chain(http, account, ledger):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_postgresql_restart_under_load_is_503_then_service_again(
    postgres: RestartablePostgres, server: Server, http: httpx.AsyncClient
) -> None:
    # Last in this module: the server it restarts PostgreSQL under is the module's.
    accounts = await sign_up(http, server.database_url, 8)
    ledger = Ledger()
    assert await write_chain(http, accounts[0], ledger), ledger.report()
    async with running([http], ledger, accounts, writers=8, readers=8):
        await asyncio.sleep(1)
        try:
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(2)
        finally:  # whatever happened, the next test and the teardown need it back
            await asyncio.to_thread(postgres.start)
        recovered = await _recovered(http, accounts[0], ledger)
    assert ledger.unexplained(allow_503=True) == [], ledger.report(allow_503=True)
    assert recovered, ledger.report(allow_503=True)
    assert await missing_writes(server.database_url, ledger) == []
