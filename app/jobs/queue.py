"""Enqueueing jobs in the caller's transaction: PgQueuer's tables in PostgreSQL, no second
stateful service.

A job is a row in PgQueuer's queue table, inserted on the connection that makes the change
causing it, inside the same transaction: a rolled-back request leaves no job (nothing is
sent), a committed one leaves a job the worker will run. The row's insert trigger NOTIFYs
the workers, and PostgreSQL delivers a NOTIFY only on commit.

PgQueuer's objects live in their own schema (`pgqueuer`, created by migration 0006), out
of the way of the app's tables and of Alembic's model comparison.
"""

import asyncio
from functools import cache
from typing import Any

import asyncpg
from pgqueuer import Queries
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.qb import (
    DBSettings,
    QueryBuilderEnvironment,
    QueryQueueBuilder,
    QuerySchedulerBuilder,
)
from pgqueuer.core.tm import TaskManager
from pgqueuer.ports.driver import Driver, NotifyCallback
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.jobs.mail import Mail

# The schema migration 0006 installs PgQueuer into; its objects keep PgQueuer's own names.
SCHEMA = "pgqueuer"
SEND_MAIL = "send_mail"


@cache
def queue_settings() -> DBSettings:
    """PgQueuer's object names, in our schema (other `PGQUEUER_*` variables still apply);
    read once per process, like PgQueuer's own."""
    return DBSettings(db_schema=SCHEMA)


def queries_on(driver: Driver) -> Queries:
    """PgQueuer's statements, run through `driver`, naming the objects in our schema."""
    settings = queue_settings()
    return Queries(
        driver,
        qbe=QueryBuilderEnvironment(settings),
        qbq=QueryQueueBuilder(settings),
        qbs=QuerySchedulerBuilder(settings),
    )


async def _enqueue(queries: Queries, mail: Mail) -> None:
    # The Message-ID as dedupe key: the same mail enqueued twice while the first is still
    # waiting is one job (the delivery record covers a mail already sent).
    await queries.enqueue(
        SEND_MAIL, mail.to_payload(), dedupe_key=mail.message_id, on_conflict="skip"
    )


async def enqueue_mail(connection: asyncpg.Connection, mail: Mail) -> None:
    """Enqueue a send-mail job on `connection`, inside whatever transaction it is in: a
    rolled-back transaction sends nothing, a committed one always sends."""
    await _enqueue(queries_on(AsyncpgDriver(connection)), mail)


async def enqueue_mail_in_session(session: AsyncSession, mail: Mail) -> None:
    """The same through a SQLAlchemy AsyncSession's current connection and transaction.

    The statement goes through SQLAlchemy rather than straight to the raw asyncpg
    connection: SQLAlchemy's asyncpg adapter sends BEGIN only before its first statement, so
    a session that has not run one yet is not in a transaction on the server, and a job
    inserted on the raw connection would commit at once, whatever the request did next.
    """
    await _enqueue(queries_on(_SessionDriver(await session.connection())), mail)


class _SessionDriver(Driver):
    """PgQueuer's driver over a SQLAlchemy connection, for statements only (enqueueing);
    listening belongs to the worker's own connections."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def fetch(self, query: str, *args: object) -> list[dict[str, object]]:
        result = await self._connection.exec_driver_sql(query, args)
        return [dict(row._mapping) for row in result] if result.returns_rows else []

    async def execute(self, query: str, *args: object) -> str:
        await self._connection.exec_driver_sql(query, args)
        return ""

    async def add_listener(self, channel: str, callback: NotifyCallback) -> None:
        raise NotImplementedError("a session enqueues; the worker listens")

    async def notify(self, channel: str, payload: str) -> None:
        raise NotImplementedError("a session enqueues; the worker listens")

    @property
    def shutdown(self) -> asyncio.Event:
        return asyncio.Event()

    @property
    def tm(self) -> TaskManager:
        return TaskManager()

    async def __aenter__(self) -> "_SessionDriver":
        return self

    async def __aexit__(self, *_: Any) -> None:
        return None
