"""Statements on plain asyncpg connections: the public reads and the hot writes, without
session overhead.

An AsyncSession costs 180-260 µs of CPU per query on this stack (checkout events, greenlet,
result processing); asyncpg alone costs about 45 µs, and a create's BEGIN/INSERT/COMMIT through
a session about 1.25 ms against 0.15 ms here. Statements that need no identity map therefore
run SQLAlchemy Core statements here: the statement is still built with SQLAlchemy, compiled
once to asyncpg's `$n` SQL, and asyncpg keeps it prepared per connection (not behind a
transaction pooler: `PoolReader.connect`).

- `Reader.fetch` runs one statement on its own (autocommit): every read, and a write that is
  one statement (a create, a rate-limit hit), which PostgreSQL makes atomic by itself.
- `Writer.transaction()` runs several statements in one transaction on one connection (a
  create with its idempotency key). Changes that read, lock and then write stay on the session.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache
from typing import Annotated, Any, Protocol

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler

from app.db.faults import RecoveryConflict, replay_cancelled
from app.db.read_pool import ConnectionPool

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


class Row(asyncpg.Record):  # type: ignore[misc]
    """A record whose columns read as attributes too, like SQLAlchemy's rows."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Reader(Protocol):
    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        """The rows of `statement`, each readable by column name as an attribute."""


class Transaction(Reader, Protocol):
    """Statements in one transaction on one connection."""

    async def driver_connection(self) -> asyncpg.Connection:
        """The asyncpg connection, for a library that joins the transaction (the job queue)."""

    def transaction(self) -> "AbstractAsyncContextManager[Transaction]":
        """A nested transaction (a savepoint)."""


class Writer(Reader, Protocol):
    """A `Reader` on the primary whose `fetch` may change rows (each statement commits by
    itself), and which runs several statements as one transaction."""

    def transaction(self) -> "AbstractAsyncContextManager[Transaction]":
        """One connection in BEGIN ... COMMIT; rolled back when the block raises."""


@lru_cache(maxsize=1024)
def compiled(statement: ClauseElement) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """asyncpg SQL for `statement`, its parameter names in `$n` order and the values the
    statement binds itself (such as a text search configuration); compiled once per statement.

    Statements are immutable and hashed by identity, so callers pass statements they built once
    (module level, or from an lru_cache'd builder) and give per-request values as `params`.
    """
    sql = statement.compile(dialect=_DIALECT)
    assert isinstance(sql, SQLCompiler)
    return sql.string, tuple(sql.positiontup or ()), sql.params


def arguments(statement: ClauseElement, params: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    sql, names, own = compiled(statement)
    given = {**own, **params} if params else own
    return sql, [given[name] for name in names]


def asyncpg_dsn(url: str) -> str:
    """asyncpg's form of a SQLAlchemy database URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fetch(
    connection: asyncpg.Connection, statement: ClauseElement, params: Mapping[str, Any] | None
) -> list[Row]:
    sql, args = arguments(statement, params)
    rows: list[Row] = await connection.fetch(sql, *args)
    return rows


class _InTransaction:
    """The statements of one `PoolReader.transaction()`, on its connection."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row]:
        return await _fetch(self._connection, statement, params)

    async def driver_connection(self) -> asyncpg.Connection:
        return self._connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["_InTransaction"]:
        async with self._connection.transaction():
            yield self


class PoolReader:
    """A `Reader` and, on the primary, a `Writer`."""

    def __init__(self, pool: ConnectionPool, *, standby: bool = False) -> None:
        self._pool = pool
        self._standby = standby

    @classmethod
    def connect(
        cls,
        database_url: str,
        size: int,
        *,
        acquire_timeout: float = 2.0,
        connect_timeout: float = 5.0,
        transaction_pooler: bool = False,
        standby: bool = False,
    ) -> "PoolReader":
        """A reader whose connections open on first use, so the app starts while the database
        is down (readiness reports it) instead of failing at startup.

        Behind a `transaction_pooler` (Settings.database_pooler) nothing is kept prepared:
        asyncpg without its statement cache sends each statement as the unnamed one and parses
        it again with its execution, so no statement outlives the server connection it ran on
        (nothing here calls `connection.prepare`, nor may anything that uses these connections:
        PgQueuer's enqueue runs plain statements).

        A `standby` reader is on a read replica (Settings.database_read_url)."""
        dsn = asyncpg_dsn(database_url)
        cache = {"statement_cache_size": 0} if transaction_pooler else {}

        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(dsn, record_class=Row, timeout=connect_timeout, **cache)

        return cls(ConnectionPool(connect, size, acquire_timeout), standby=standby)

    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row]:
        """Errors propagate as the driver raised them, but for a replica's recovery conflicts:
        `app.http.problems` turns the ones that mean "database away" (app.db.faults) into 503."""
        connection = await self._pool.acquire()
        try:
            rows = await _fetch(connection, statement, params)
        except BaseException as error:
            self._pool.discard(connection)
            # Only here is it known which server answered: on the primary these codes are a
            # conflict between clients (409), on a replica they mean replay cancelled the read
            # (503). The message ("conflict with recovery") cannot tell them apart: it is in the
            # server's lc_messages language, and a deadlock with replay says "deadlock detected".
            if self._standby and replay_cancelled(error):
                raise RecoveryConflict(str(error)) from error
            raise
        self._pool.release(connection)
        return rows

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        connection = await self._pool.acquire()
        try:
            async with connection.transaction():
                yield _InTransaction(connection)
        except Exception:
            # Rolled back: a refusal (409, 404) leaves a clean connection, to be used again;
            # one that broke or stopped mid-protocol is closed.
            if connection.is_closed() or connection.is_in_transaction():
                self._pool.discard(connection)
            else:
                self._pool.release(connection)
            raise
        except BaseException:  # cancelled: the connection may be mid-protocol
            self._pool.discard(connection)
            raise
        self._pool.release(connection)

    async def close(self) -> None:
        await self._pool.close()


async def get_reader(request: Request) -> Reader:  # async: a sync one would run in a thread
    """The plain pool on the primary: for signed-in reads (an administrator's lists), which
    must see what was just written. Anonymous public reads take `app.state.reader`, a
    replica's pool when DATABASE_READ_URL is set (app.auth.dependencies.get_public_read)."""
    reader: Reader = request.app.state.primary
    return reader


ReaderDep = Annotated[Reader, Depends(get_reader)]
