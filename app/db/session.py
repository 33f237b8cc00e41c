"""The engine and the request-scoped session: the one place that commits."""

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import ClauseElement, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db.faults import PoolExhausted, is_unavailable
from app.db.reads import arguments

logger = logging.getLogger("app.db")


def _unnamed() -> str:
    return ""


# Behind a transaction pooler (Settings.database_pooler), no prepared statement may outlive the
# statement it was made for: the next one may run on another server connection. SQLAlchemy's
# recipe for PgBouncer (its asyncpg dialect's docs, asyncpg issue 837) turns its statement
# cache off and names each statement uniquely, so names never collide; but the named
# statements stay on the server connections (until DISCARD ALL, which transaction mode does not
# send), and outside a transaction (the AUTOCOMMIT read sessions) the statement and its
# execution may reach two different server connections. Here the name is empty: PostgreSQL's
# unnamed statement, which the next statement replaces, and which asyncpg, its own cache off,
# parses again in the same message as each execution. Nothing outlives a statement.
UNNAMED_STATEMENTS: dict[str, Any] = {
    "statement_cache_size": 0,  # asyncpg's own cache
    "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg dialect's cache
    "prepared_statement_name_func": _unnamed,
}


def create_engine(
    database_url: str,
    pool_size: int = 10,
    *,
    pool_timeout: float = 2.0,
    connect_timeout: float = 5.0,
    transaction_pooler: bool = False,
) -> AsyncEngine:
    # No pre-ping (a round trip per request): a connection that died is reported by its first
    # use; `_invalidate_on_fault` then retires the whole pool, and the request answers 503.
    # No overflow: requests beyond the pool wait for a connection instead of opening one that
    # is closed again on return (and loses its prepared statements). They wait at most
    # `pool_timeout` seconds: an overloaded or cut-off database is answered with a quick 503,
    # not a queue that grows until clients give up.
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_recycle=1800,
        connect_args={
            "timeout": connect_timeout,
            **(UNNAMED_STATEMENTS if transaction_pooler else {}),
        },
    )
    event.listen(engine.sync_engine, "handle_error", _invalidate_on_fault)
    return engine


def _invalidate_on_fault(context: ExceptionContext) -> None:
    """Treat every "database away" error as a disconnect, not only the ones SQLAlchemy's
    asyncpg dialect recognises ("cannot switch to state", "the database system is shutting
    down"): the pool then drops all its connections at once, so the first requests after a
    restart reconnect instead of each finding one more dead connection."""
    if is_unavailable(context.original_exception):
        context.is_disconnect = True


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """For GET and HEAD, which write nothing: no BEGIN/COMMIT, one round trip per query."""
    return create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


SAFE_METHODS = frozenset({"GET", "HEAD"})


class SessionGate:
    """First come, first served admission to the engine pool, one slot per connection.

    SQLAlchemy's async queue pool lets a newly arriving request take a connection that was
    just returned while earlier requests are still waiting for one. Under a burst, the unlucky
    waiters starve past the checkout timeout and are answered 503 while later requests go
    through (seen with 256 connections of writes: p99 2.3 s, a few dozen 503s). An asyncio
    semaphore hands each released slot to the longest waiter, so waiting is in arrival order
    and a request is refused only when the queue itself is too long.
    """

    def __init__(self, slots: int, timeout: float) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._timeout = timeout

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolExhausted(f"no database connection within {self._timeout} s") from None
        try:
            yield
        finally:
            self._slots.release()


class CommitAnyway(Exception):
    """Mixed into an error whose request must keep what it wrote before failing (reuse
    detection revokes a token chain, then answers 401): the session commits, then re-raises."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit once when the handler succeeds; roll back when it raises.

    Errors propagate unchanged: `app.http.problems` answers database faults (503), conflicts
    (409) and the rest in one place.
    """
    state = request.app.state
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if request.method in SAFE_METHODS else state.sessionmaker
    )
    gate: SessionGate = state.session_gate
    async with gate.slot(), sessionmaker() as session:
        try:
            yield session
            if session.in_transaction():  # a request that never used its session skips it
                await session.commit()
        except CommitAnyway:
            await session.commit()
            raise
        except BaseException:
            await _rollback_quietly(session)
            raise


async def _rollback_quietly(session: AsyncSession) -> None:
    """Roll back without hiding why: on a broken connection the rollback fails too, and its
    error would replace the one the client should be answered for."""
    try:
        await session.rollback()
    except Exception as error:
        if not is_unavailable(error):
            raise
        logger.debug("rollback on a broken connection failed", exc_info=True)


class SessionStatements:
    """A `Writer` (app.db.reads) inside a session's transaction: services written for the plain
    pool then join a larger unit of work (the demo data is one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        sql, args = arguments(statement, params)  # as the plain pool runs it
        connection = await self._session.connection()
        result = await connection.exec_driver_sql(sql, tuple(args))
        return result.all() if result.returns_rows else []  # as asyncpg's fetch

    async def driver_connection(self) -> asyncpg.Connection:
        connection = await (await self._session.connection()).get_raw_connection()
        driver: asyncpg.Connection = connection.driver_connection
        return driver

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["SessionStatements"]:
        async with self._session.begin_nested():
            yield self


# scope="function": commit before the response is sent, so a client never sees a success
# that was not committed (the default "request" scope exits after the response is sent).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
