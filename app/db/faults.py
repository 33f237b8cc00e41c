"""What a database failure means for the caller, decided in one place.

Every path that talks to PostgreSQL (sessions, the read pool, rate limits, idempotency,
readiness) lets its errors propagate; the HTTP layer asks `classify` what to answer. An error
whose cause is the database being away, restarting, refusing more clients, a connection
that broke or the read replica cancelling a read to replay changes is `UNAVAILABLE` (503, retry
shortly); a constraint a concurrent request won is `CONFLICT`; anything else is a bug (500).

The drivers report the same condition in many shapes: asyncpg raises its own classes (and,
after a restart mid-query, "cannot switch to state N" as an internal client error), SQLAlchemy
wraps them, a pool checkout times out with its own `TimeoutError`, and a rollback on a dead
connection raises yet another. Walking the whole cause chain and reading SQLSTATEs handles them
all without listing every wrapper.
"""

import asyncio
from collections.abc import Iterator
from enum import Enum

import asyncpg
from sqlalchemy import exc as sa_exc


class PoolExhausted(TimeoutError):
    """No connection came free within the pool's timeout: the server is at capacity."""


class RecoveryConflict(Exception):
    """The read replica cancelled a read to go on replaying the primary's changes: the read
    was fine and passes once replay has moved on, so it is "not now" (503), not a 409."""


class Fault(Enum):
    UNAVAILABLE = "unavailable"  # the database is away, restarting or refusing clients
    SATURATED = "saturated"  # no pooled connection came free in time: the server is busy
    CONFLICT = "conflict"
    OTHER = "other"


# SQLSTATE classes and codes that mean "not now" rather than "wrong request":
# 08 connection exception, 57P01-57P03 admin/crash shutdown and "starting up",
# 53300 too many connections, 58030 I/O error.
_UNAVAILABLE_CLASSES = ("08",)
_UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03", "53300", "58030"})
# 23xxx integrity violations, 40001 serialization failure, 40P01 deadlock: a concurrent request
# changed the same rows; the client can retry.
_CONFLICT_CLASSES = ("23",)
_CONFLICT_CODES = frozenset({"40001", "40P01"})
# A hot standby cancels the queries in replay's way ("canceling statement due to conflict with
# recovery") with the same codes: 40001, and 40P01 for a deadlock with replay (a buffer pin, or
# a lock replay waits for while the query waits for one replay holds).
_RECOVERY_CONFLICT_CODES = frozenset({"40001", "40P01"})

_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no such socket
    TimeoutError,  # asyncio.timeout, a connect timeout (asyncio.TimeoutError is the same class)
    asyncio.IncompleteReadError,
    sa_exc.InterfaceError,
    sa_exc.ResourceClosedError,
    asyncpg.InterfaceError,  # "connection is closed", "another operation is in progress"
    asyncpg.InternalClientError,  # "cannot switch to state N" after the server went away
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    RecoveryConflict,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, what it wraps (`orig`) and its explicit causes (`raise ... from`), each once.

    Not `__context__`: a bug raised while handling a database error must stay a 500."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _sqlstate(error: BaseException) -> str | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else None


def replay_cancelled(error: BaseException) -> bool:
    """Whether `error`, met by a query on a hot standby, means that replay cancelled it."""
    return _sqlstate(error) in _RECOVERY_CONFLICT_CODES


def classify(error: BaseException) -> Fault:
    for cause in _chain(error):
        if isinstance(cause, (sa_exc.TimeoutError, PoolExhausted)):
            return Fault.SATURATED
        code = _sqlstate(cause)
        if code is not None:
            if code in _UNAVAILABLE_CODES or code.startswith(_UNAVAILABLE_CLASSES):
                return Fault.UNAVAILABLE
            if code in _CONFLICT_CODES or code.startswith(_CONFLICT_CLASSES):
                return Fault.CONFLICT
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return Fault.UNAVAILABLE
        if isinstance(cause, _UNAVAILABLE_TYPES):
            return Fault.UNAVAILABLE
    return Fault.OTHER


def is_unavailable(error: BaseException) -> bool:
    """The database itself is away (not merely busy): its connections are suspect."""
    return classify(error) is Fault.UNAVAILABLE
