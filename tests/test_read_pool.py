"""The read path's connection pool (app.db.read_pool) on real PostgreSQL connections."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import ClauseElement, literal_column, select, text

from app.db.read_pool import ConnectionPool
from app.db.reads import PoolReader, asyncpg_dsn

SIZE = 2


class CountingConnect:
    """Opens real connections and remembers each, to count them and to break them."""

    def __init__(self, database_url: str) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.opened: list[asyncpg.Connection] = []

    async def __call__(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(self.dsn)
        self.opened.append(connection)
        return connection

    @property
    def open_now(self) -> int:
        return sum(not connection.is_closed() for connection in self.opened)


@pytest.fixture
async def connect(database_url: str) -> AsyncIterator[CountingConnect]:
    counting = CountingConnect(database_url)
    yield counting
    for connection in counting.opened:
        connection.terminate()


async def _hold(pool: ConnectionPool, seconds: float) -> int:
    connection = await pool.acquire()
    try:
        value: int = await connection.fetchval("SELECT 1 FROM pg_sleep($1)", seconds)
        return value
    finally:
        pool.release(connection)


async def test_more_requests_than_connections_share_them(connect: CountingConnect) -> None:
    pool = ConnectionPool(connect, SIZE)
    assert connect.opened == []  # nothing opens before the first request
    results = await asyncio.gather(*(_hold(pool, 0.01) for _ in range(10)))
    assert results == [1] * 10
    assert len(connect.opened) == SIZE
    await pool.close()
    assert connect.open_now == 0


async def test_a_waiter_cancelled_while_queued_loses_nothing(connect: CountingConnect) -> None:
    pool = ConnectionPool(connect, 1)
    holder = asyncio.create_task(_hold(pool, 0.2))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    queued.cancel()
    await holder
    # The one connection came back and is handed out again, not lost to the cancelled waiter.
    assert await _hold(pool, 0) == 1
    assert len(connect.opened) == 1
    await pool.close()


async def test_a_waiter_cancelled_after_being_handed_a_connection_passes_it_on(
    connect: CountingConnect,
) -> None:
    pool = ConnectionPool(connect, 1)
    held = await pool.acquire()
    first, second = asyncio.create_task(pool.acquire()), asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    pool.release(held)  # handed to `first`, which is cancelled before it runs again
    first.cancel()
    connection = await asyncio.wait_for(second, 1)
    assert connection is held
    pool.release(connection)
    await pool.close()


async def test_a_connection_closed_by_the_server_is_replaced(
    connect: CountingConnect, database_url: str
) -> None:
    pool = ConnectionPool(connect, 1)
    assert await _hold(pool, 0) == 1
    killer = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        pid = connect.opened[0].get_server_pid()
        await killer.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()
    for _ in range(100):  # until the client has noticed the closed socket
        if connect.opened[0].is_closed():
            break
        await asyncio.sleep(0.01)
    assert await _hold(pool, 0) == 1
    assert len(connect.opened) == 2
    await pool.close()


async def test_a_failed_query_closes_its_connection_and_frees_its_slot(database_url: str) -> None:
    reader = PoolReader.connect(database_url, 1)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await reader.fetch(select(literal_column("1") / 0))
    rows = await reader.fetch(select(text("2 AS two")))
    assert rows[0].two == 2
    await reader.close()


async def test_a_database_that_cannot_be_reached_gives_the_slot_back() -> None:
    attempts = 0

    async def refuse() -> asyncpg.Connection:
        nonlocal attempts
        attempts += 1
        raise OSError("connection refused")

    pool = ConnectionPool(refuse, 1)
    for _ in range(3):  # each attempt may open a connection: no slot stays taken
        with pytest.raises(OSError, match="refused"):
            await asyncio.wait_for(pool.acquire(), 1)
    assert attempts == 3


async def test_a_transaction_commits_together_or_not_at_all(database_url: str) -> None:
    """The plain pool's transactions (creates with an Idempotency-Key): a refusal inside one
    rolls back every statement and leaves the connection in use; so does a database error."""
    pool = PoolReader.connect(database_url, 1)
    await pool.fetch(text("CREATE TABLE IF NOT EXISTS plain_tx (n int)"))
    insert = text("INSERT INTO plain_tx VALUES (1)")
    async with pool.transaction() as transaction:
        await transaction.fetch(insert)
        await transaction.fetch(insert)

    async def insert_then(failure: Exception | ClauseElement) -> None:
        async with pool.transaction() as transaction:
            await transaction.fetch(insert)
            if isinstance(failure, Exception):
                raise failure  # as a service refuses (404, 409)
            await transaction.fetch(failure)

    with pytest.raises(LookupError):
        await insert_then(LookupError("refused"))
    with pytest.raises(asyncpg.DivisionByZeroError):
        await insert_then(select(literal_column("1") / 0))
    rows = await pool.fetch(text("SELECT count(*) AS n FROM plain_tx"))
    assert rows[0].n == 2
    await pool.fetch(text("DROP TABLE plain_tx"))
    await pool.close()


async def test_a_transaction_interrupted_mid_statement_closes_its_connection(
    connect: CountingConnect,
) -> None:
    pool = PoolReader(ConnectionPool(connect, 1))

    async def slow() -> None:
        async with pool.transaction() as transaction:
            await transaction.fetch(text("SELECT pg_sleep(5)"))

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert connect.opened[0].is_closed()  # mid-protocol: never handed out again
    assert (await pool.fetch(select(text("2 AS two"))))[0]["two"] == 2
    assert len(connect.opened) == 2
    await pool.close()
