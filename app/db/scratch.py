"""Throwaway databases for tests, contract runs and benchmarks.

With `DATABASE_URL` set, a fresh database is created on that server and dropped afterwards;
otherwise an embedded PostgreSQL runs in a temporary directory.
"""

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.embedded import start_embedded, stop_embedded
from app.db.reads import asyncpg_dsn


async def execute(url: str, statement: str) -> None:
    """Run one statement on its own connection (database administration)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def _database_on(server_url: str) -> Iterator[str]:
    name = f"inkwell_scratch_{uuid.uuid4().hex[:12]}"
    asyncio.run(execute(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def _embedded() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="inkwell-pg-") as folder:
        pgdata = Path(folder) / "data"
        try:
            yield start_embedded(pgdata, delete_on_exit=True)
        finally:
            stop_embedded(pgdata)


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str]:
    """Yield the URL of an empty, migrated database that disappears afterwards."""
    with _database_on(server_url) if server_url else _embedded() as url:
        migrate.upgrade(url)
        yield url
