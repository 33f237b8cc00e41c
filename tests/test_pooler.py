"""The API through PgBouncer in transaction mode (DATABASE_POOLER=transaction).

PgBouncer 1.18 hands every transaction, and every statement outside one, to whichever server
connection is free: a statement prepared on one is missing on the next. The first tests show
that happening to both database paths without the setting, and not with it; the last sends a
burst of concurrent reads and writes of every kind through PgBouncer.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import DatabasePooler, Settings
from app.db.embedded import resolve_direct_database_url
from app.db.reads import PoolReader, asyncpg_dsn
from app.db.session import create_engine
from app.main import create_app
from tests import topology
from tests.conftest import served
from tests.helpers import POSTS, bearer, create_post, user_with_tokens

STATEMENT = select(literal(1).label("one"))


@pytest.fixture(scope="module")
def two_server_pgbouncer(database_url: str, topology_dir: Path) -> Iterator[str]:
    """A PgBouncer of its own with at most two server connections, so that which one a
    transaction gets is known: the idle one, or a new one when a client holds the first."""
    try:
        with topology.pgbouncer(database_url, topology_dir / "two", pool_size=2) as url:
            yield url
    except topology.Unavailable as error:
        pytest.skip(f"no PgBouncer: {error}")


async def _holding_a_server(url: str) -> asyncpg.Connection:
    """A client in an open transaction: PgBouncer gives it the idle server connection and
    keeps it until the transaction ends."""
    holder = await asyncpg.connect(asyncpg_dsn(url), statement_cache_size=0)
    await holder.execute("BEGIN")
    await holder.execute("SELECT 1")
    return holder


async def _plain_pool_runs_on_a_second_server(url: str, *, transaction_pooler: bool) -> None:
    """The statement runs on server connection 1, then, from the same client connection, on
    server connection 2 (another client holds 1)."""
    reader = PoolReader.connect(url, 1, transaction_pooler=transaction_pooler)
    try:
        async with reader.transaction() as transaction:
            await transaction.fetch(STATEMENT)
        holder = await _holding_a_server(url)
        try:
            assert [row.one for row in await reader.fetch(STATEMENT)] == [1]
        finally:
            await holder.close()
    finally:
        await reader.close()


async def _engine_runs_on_a_second_server(url: str, *, transaction_pooler: bool) -> None:
    engine = create_engine(url, 1, transaction_pooler=transaction_pooler)
    try:
        async with engine.connect() as connection:
            await connection.execute(STATEMENT)
            await connection.commit()
            holder = await _holding_a_server(url)
            try:
                assert (await connection.execute(STATEMENT)).scalar_one() == 1
            finally:
                await holder.close()
    finally:
        await engine.dispose()


async def test_without_the_setting_the_plain_pool_fails_behind_a_transaction_pooler(
    two_server_pgbouncer: str,
) -> None:
    with pytest.raises(asyncpg.InvalidSQLStatementNameError, match="does not exist"):
        await _plain_pool_runs_on_a_second_server(two_server_pgbouncer, transaction_pooler=False)


async def test_without_the_setting_sessions_fail_behind_a_transaction_pooler(
    two_server_pgbouncer: str,
) -> None:
    with pytest.raises(DBAPIError, match="does not exist"):
        await _engine_runs_on_a_second_server(two_server_pgbouncer, transaction_pooler=False)


async def test_with_the_setting_both_paths_work_on_any_server_connection(
    two_server_pgbouncer: str,
) -> None:
    await _plain_pool_runs_on_a_second_server(two_server_pgbouncer, transaction_pooler=True)
    await _engine_runs_on_a_second_server(two_server_pgbouncer, transaction_pooler=True)


async def _prepared_on_each_server(url: str) -> list[int]:
    """How many named statements each of PgBouncer's two server connections holds (two
    clients in open transactions hold one each)."""
    clients = [await _holding_a_server(url) for _ in range(2)]
    try:
        query = "SELECT count(*) FROM pg_prepared_statements"
        return [await client.fetchval(query) for client in clients]
    finally:
        for client in clients:
            await client.close()


async def _statements_everywhere(url: str, *, transaction_pooler: bool) -> None:
    """Statements on both paths, in transactions and outside them (autocommit)."""
    engine = create_engine(url, 2, transaction_pooler=transaction_pooler)
    reader = PoolReader.connect(url, 2, transaction_pooler=transaction_pooler)
    try:
        for _ in range(3):
            async with engine.connect() as connection:
                await connection.execute(STATEMENT)
                await connection.commit()
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            async with autocommit.connect() as connection:
                await connection.execute(STATEMENT)
            await reader.fetch(STATEMENT)
            async with reader.transaction() as transaction:
                await transaction.fetch(STATEMENT)
    finally:
        await reader.close()
        await engine.dispose()


async def test_with_the_setting_concurrent_autocommit_statements_work(
    two_server_pgbouncer: str,
) -> None:
    """Outside a transaction (the read sessions), a statement's parse and its execution are two
    round trips PgBouncer may send to two server connections. SQLAlchemy's unique-name recipe
    fails there (about a third of these statements did, here); the unnamed statement, parsed
    again with its execution, cannot."""
    engine = create_engine(two_server_pgbouncer, 8, transaction_pooler=True)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def client() -> list[int]:
        async with autocommit.connect() as connection:
            return [(await connection.execute(STATEMENT)).scalar_one() for _ in range(50)]

    try:
        results = await asyncio.gather(*(client() for _ in range(8)))
    finally:
        await engine.dispose()
    assert results == [[1] * 50] * 8


@pytest.mark.parametrize("transaction_pooler", [True, False])
async def test_with_the_setting_nothing_stays_prepared_on_the_server(
    two_server_pgbouncer: str, transaction_pooler: bool
) -> None:
    """Transaction mode sends no DISCARD ALL: named statements would pile up on the server
    connections. With the setting none is left; without it, the statements stay."""
    before = await _prepared_on_each_server(two_server_pgbouncer)
    await _statements_everywhere(two_server_pgbouncer, transaction_pooler=transaction_pooler)
    after = await _prepared_on_each_server(two_server_pgbouncer)
    assert (sum(after) == sum(before)) is transaction_pooler


def test_the_worker_and_migrations_refuse_a_transaction_poolers_url() -> None:
    behind = Settings(
        database_url="postgresql+asyncpg://app@pgbouncer/db", database_pooler="transaction"
    )
    with pytest.raises(SystemExit, match="DATABASE_DIRECT_URL"):
        resolve_direct_database_url(behind)
    direct = "postgresql+asyncpg://app@postgres/db"
    assert (
        resolve_direct_database_url(behind.model_copy(update={"database_direct_url": direct}))
        == direct
    )
    alone = Settings(database_url=direct)
    assert resolve_direct_database_url(alone) == direct


@pytest.mark.parametrize(
    "command", [["app", "worker"], ["app.db.migrate", "upgrade"]], ids=["worker", "migrate"]
)
def test_the_worker_and_migrations_do_not_start_on_the_poolers_url(
    pgbouncer_url: str, command: list[str]
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": pgbouncer_url,
        "DATABASE_POOLER": "transaction",
        "SMTP_URL": "smtp://127.0.0.1:9",
    }
    env.pop("DATABASE_DIRECT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "set DATABASE_DIRECT_URL" in done.stderr


# --- the API through PgBouncer ----------------------------------------------------------------


@pytest.fixture
async def pooled_app(
    pgbouncer_url: str, database_url: str, committed_db: AsyncEngine
) -> AsyncIterator[FastAPI]:
    """The API with DATABASE_URL on PgBouncer (4 server connections for its 15 client ones),
    DATABASE_POOLER=transaction;
    what it writes is committed, and emptied afterwards by `committed_db`."""
    settings = Settings(
        database_url=pgbouncer_url,
        database_pooler=DatabasePooler.transaction,
        database_direct_url=database_url,
        # A burst waits for a connection rather than being refused as overload (503): what
        # is under test is what the pooler does to the statements, not the pools' capacity.
        database_pool_timeout=30,
    )
    async with served(create_app(settings)) as application:
        yield application


async def _author(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A verified user with tokens, and the id of a post of theirs, published."""
    user, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    return user, tokens, post["id"]


async def test_a_burst_of_reads_and_writes_through_pgbouncer_has_no_server_error(
    pooled_app: FastAPI,
) -> None:
    async with httpx.AsyncClient(base_url=pooled_app.state.base_url, timeout=30) as client:
        authors = [await _author(client) for _ in range(6)]
        requests: list[tuple[str, str, dict[str, Any]]] = []
        for user, tokens, post_id in authors:
            auth = {"headers": bearer(tokens)}
            one = f"{POSTS}/{post_id}"
            etag = (await client.get(one)).headers["etag"]
            requests += [("POST", POSTS, {**auth, "json": {"title": "Burst", "body": "b"}})] * 4
            key = {"headers": {**bearer(tokens), "Idempotency-Key": str(uuid.uuid4())}}
            requests += [("POST", POSTS, {**key, "json": {"title": "Once", "body": "b"}})] * 2
            requests += [("POST", f"{one}/comments", {**auth, "json": {"body": "Hi"}})] * 2
            patch = {"headers": {**bearer(tokens), "If-Match": etag}, "json": {"title": "New"}}
            requests += [("PATCH", one, patch)] * 2
            requests += [("GET", one, auth), ("GET", f"/api/v1/users/{user['id']}", auth)] * 4
            requests += [("GET", "/api/v1/users/me", auth)] * 4
            requests += [("GET", POSTS, {}), ("GET", one, {}), ("GET", f"{one}/comments", {})] * 8
        responses = await asyncio.gather(
            *(client.request(method, url, **options) for method, url, options in requests)
        )
    failed = [
        (r.request.method, r.request.url.path, r.status_code, r.text[:200])
        for r in responses
        if r.status_code >= 500
    ]
    assert failed == []
    statuses = {(r.request.method, r.status_code) for r in responses}
    # Every kind succeeded. Concurrent PATCHes with one ETag: one wins, the other is 412; two
    # creates with one Idempotency-Key: one creates, the other replays it or is told (409)
    # that it is still in flight.
    assert {("POST", 201), ("GET", 200), ("PATCH", 200)} <= statuses
    allowed = {("POST", 201), ("POST", 409), ("GET", 200), ("PATCH", 200), ("PATCH", 412)}
    assert statuses <= allowed
