"""A real PostgreSQL (migrated once) and a real uvicorn server on a socket, in the test loop.

Each test runs inside a transaction that is rolled back afterwards: the server's sessions join it
through savepoints and its read-pool queries run on the same connection, so what a request
commits is visible to the next request of the same test and gone for the next test. Tests that
need real commits across connections use `committed_db`.
"""

import asyncio
import os
import secrets
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import ClauseElement, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

# Before any app import: settings are read once per process.
os.environ["ENVIRONMENT"] = "test"
os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)

from fastapi import FastAPI

from app.config import Settings, get_settings
from app.db.reads import arguments
from app.db.scratch import scratch_database
from app.db.session import create_engine, create_read_sessionmaker, create_sessionmaker
from app.main import create_app
from contracts_tests.live_server import free_port
from tests import helpers, topology
from tests.helpers import clear_rate_limits


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("INKWELL_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    with scratch_database(server_url) as url:
        yield url


@asynccontextmanager
async def served(application: FastAPI) -> AsyncIterator[FastAPI]:
    """`application` served by uvicorn on a free loopback port in the test loop (its lifespan
    runs), its base URL in `application.state.base_url`."""
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=free_port(),
            log_level="warning",
            server_header=False,  # as served: no banner
            proxy_headers=False,  # as served without FORWARDED_ALLOW_IPS: the peer is the client
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    application.state.base_url = f"http://127.0.0.1:{server.config.port}"
    try:
        yield application
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    os.environ["DATABASE_URL"] = database_url
    get_settings.cache_clear()
    async with served(create_app()) as application:
        helpers.bind(lambda: application.state.primary)
        yield application


@pytest.fixture(scope="session")
def topology_dir() -> Iterator[Path]:
    """Where the replica and PgBouncer of the test session keep their files."""
    with tempfile.TemporaryDirectory(prefix="inkwell-topology-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def pgbouncer_url(database_url: str, topology_dir: Path) -> Iterator[str]:
    """PgBouncer (Debian's 1.18) in transaction mode in front of the test database, with
    fewer server connections than the app opens client ones (tests/topology.py). Installed
    with apt when missing and running as root; otherwise the tests using it are skipped."""
    try:
        with topology.pgbouncer(database_url, topology_dir / "pgbouncer", pool_size=4) as url:
            yield url
    except topology.Unavailable as error:
        pytest.skip(f"no PgBouncer: {error}")


@pytest.fixture(scope="session")
def replica_url(database_url: str, topology_dir: Path) -> Iterator[str]:
    """A streaming replica of the test PostgreSQL (`pg_basebackup -R`, tests/topology.py) on
    a free loopback port; skipped when the test server cannot be copied from here."""
    try:
        with topology.streaming_replica(database_url, topology_dir / "replica") as url:
            yield url
    except (topology.Unavailable, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        pytest.skip(f"no streaming replica: {error} {detail.decode(errors='replace')[-300:]}")


class TransactionReader:
    """The plain pool's stand-in (app.db.reads.Reader and Writer): the same compiled statements,
    run on the test's connection, so reads see what the test and earlier requests wrote in its
    transaction; a transaction is a savepoint."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        sql, args = arguments(statement, params)
        result = await self._connection.exec_driver_sql(sql, tuple(args))
        return result.all() if result.returns_rows else []  # as asyncpg's fetch

    async def driver_connection(self) -> Any:
        return (await self._connection.get_raw_connection()).driver_connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["TransactionReader"]:
        async with self._connection.begin_nested():
            yield self


@pytest.fixture
async def db(app: FastAPI) -> AsyncIterator[AsyncConnection]:
    """The test's connection; the server's sessions nest inside its transaction."""
    engine: AsyncEngine = app.state.engine
    state = app.state
    shared = state.sessionmaker, state.read_sessionmaker, state.reader, state.primary
    async with engine.connect() as connection:
        transaction = await connection.begin()
        state.sessionmaker = state.read_sessionmaker = async_sessionmaker(
            connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        state.reader = state.primary = TransactionReader(connection)
        try:
            yield connection
        finally:
            state.sessionmaker, state.read_sessionmaker, state.reader, state.primary = shared
            await transaction.rollback()


@pytest.fixture
async def committed_db(app: FastAPI) -> AsyncIterator[AsyncEngine]:
    """Real commits on separate connections (concurrency tests); tables are emptied afterwards."""
    engine = create_engine(get_settings().database_url or "")
    shared = app.state.sessionmaker, app.state.read_sessionmaker
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_read_sessionmaker(engine)
    try:
        yield engine
    finally:
        app.state.sessionmaker, app.state.read_sessionmaker = shared
        async with engine.begin() as connection:
            tables = await connection.scalar(
                text(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
            await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        await engine.dispose()


@pytest.fixture(autouse=True)
async def fresh_rate_limits(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test against the server starts with no hits counted. Counters are counted on the
    read pool: in a test using `db` that is the test's connection (rolled back with it), in
    one using `committed_db` or a live server they are committed at once; and every test
    client is 127.0.0.1, so without this a long suite would run into its own limits."""
    if "app" not in request.fixturenames:
        yield
        return
    engine: AsyncEngine = request.getfixturevalue("app").state.engine
    await clear_rate_limits(engine)
    yield
    await clear_rate_limits(engine)


@pytest.fixture
async def client(app: FastAPI, db: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.state.base_url) as http:
        yield http


RATE_LIMIT_SETTINGS = (
    "writes_per_minute",
    "login_attempts_per_account",
    "login_attempts_per_address",
    "login_window_seconds",
    "account_mails_per_hour",
)


@pytest.fixture
async def limits(app: FastAPI) -> AsyncIterator[Settings]:
    """The running server's settings, whose rate limits a test may change; restored after.
    The limits are read on every request; counters are cleared before and after (a test's
    own counters may also live in its transaction, see `fresh_rate_limits`)."""
    settings: Settings = app.state.settings
    saved = {name: getattr(settings, name) for name in RATE_LIMIT_SETTINGS}
    await clear_rate_limits(app.state.engine)
    try:
        yield settings
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        await clear_rate_limits(app.state.engine)
