"""The SQL that keeps the tables that only grow bounded. Each purge deletes, in one statement,
the rows no request can need any more as of `now`, and returns how many went.

`now` is a parameter, never the database's clock: what a purge deletes is decided by a time
the caller controls (the worker passes the current time; tests move it instead of waiting).
How long each kind of row is worth keeping is the caller's policy (app.jobs.purges).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Delete,
    Select,
    bindparam,
    column,
    delete,
    func,
    literal_column,
    select,
    table,
)

from app.db.models import AccountToken, IdempotencyKey, MailDelivery, RateLimitCounter, RefreshToken
from app.db.reads import Reader

_CUTOFF: Any = bindparam("cutoff")

# PgQueuer's job log (a row per state change of every job) and its per-second statistics,
# which PgQueuer keeps forever; in the schema migration 0006 installed them into.
_JOB_LOG = table("pgqueuer_log", column("created"), schema="pgqueuer")
_JOB_STATISTICS = table("pgqueuer_statistics", column("created"), schema="pgqueuer")


def _counted(statement: Delete) -> Select[Any]:
    """`statement`, answering one row: how many rows it deleted."""
    deleted = statement.returning(literal_column("1")).cte("deleted")
    return select(func.count().label("deleted")).select_from(deleted)


def _older_than_cutoff(target: Any, when: Any) -> Select[Any]:
    return _counted(delete(target).where(when < _CUTOFF))


_IDEMPOTENCY_KEYS = _older_than_cutoff(IdempotencyKey, IdempotencyKey.created_at)
_RATE_LIMIT_COUNTERS = _older_than_cutoff(RateLimitCounter, RateLimitCounter.window_start)
# Expired tokens only: a revoked one that has not expired yet still marks its sign-in as
# ended (app.auth.repository refuses its access tokens by it) and answers reuse detection.
_REFRESH_TOKENS = _older_than_cutoff(RefreshToken, RefreshToken.expires_at)
_ACCOUNT_TOKENS = _counted(
    delete(AccountToken).where(
        AccountToken.used_at.is_not(None) | (AccountToken.expires_at < _CUTOFF)
    )
)
_MAIL_DELIVERIES = _older_than_cutoff(MailDelivery, MailDelivery.delivered_at)
_JOB_LOG_ROWS = _older_than_cutoff(_JOB_LOG, _JOB_LOG.c.created)
_JOB_STATISTICS_ROWS = _older_than_cutoff(_JOB_STATISTICS, _JOB_STATISTICS.c.created)


async def _deleted(reader: Reader, statement: Select[Any], cutoff: datetime) -> int:
    rows = await reader.fetch(statement, {"cutoff": cutoff})
    return int(rows[0].deleted)


async def purge_idempotency_keys(reader: Reader, now: datetime, lifetime: timedelta) -> int:
    """Keys (and the answers they replay) older than their `lifetime`."""
    return await _deleted(reader, _IDEMPOTENCY_KEYS, now - lifetime)


async def purge_rate_limit_counters(reader: Reader, now: datetime, keep: timedelta) -> int:
    """Counters whose window began more than `keep` ago: longer than any window, so the
    window is over and the next hit would have started a new one anyway."""
    return await _deleted(reader, _RATE_LIMIT_COUNTERS, now - keep)


async def purge_refresh_tokens(reader: Reader, now: datetime) -> int:
    """Refresh tokens that have expired, revoked or not."""
    return await _deleted(reader, _REFRESH_TOKENS, now)


async def purge_account_tokens(reader: Reader, now: datetime) -> int:
    """Reset and verification tokens that were used or have expired: neither can be used."""
    return await _deleted(reader, _ACCOUNT_TOKENS, now)


async def purge_mail_deliveries(reader: Reader, now: datetime, keep: timedelta) -> int:
    """Delivery records older than `keep`, which must outlast any retry of their job."""
    return await _deleted(reader, _MAIL_DELIVERIES, now - keep)


async def purge_job_log(reader: Reader, now: datetime, keep: timedelta) -> int:
    """PgQueuer's log and statistics rows older than `keep`."""
    cutoff = now - keep
    return await _deleted(reader, _JOB_LOG_ROWS, cutoff) + await _deleted(
        reader, _JOB_STATISTICS_ROWS, cutoff
    )
