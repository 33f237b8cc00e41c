"""The purges keep growing tables bounded: rows are written at real times, then each purge runs
with its clock moved forward, and only what is still needed remains.

Each test runs in a transaction that is rolled back: the purges see (and would delete) every
committed row too, which belongs to other tests.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app.config import Settings
from app.db import purges
from app.db.reads import asyncpg_dsn
from app.http.idempotency import KEY_LIFETIME
from app.jobs.purges import (
    JOB_LOG_RETENTION,
    MAIL_DELIVERY_RETENTION,
    purge_all,
    rate_limit_retention,
)
from tests.jobs.conftest import TransactionReader

NOW = datetime.now(UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def user_id(connection: asyncpg.Connection) -> uuid.UUID:
    user = uuid.uuid4()
    await connection.execute(
        "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'P', 'x')",
        user,
        f"{user}@example.com",
    )
    return user


async def ids(connection: asyncpg.Connection, sql: str, *args: object) -> set[object]:
    return {row[0] for row in await connection.fetch(sql, *args)}


async def test_idempotency_keys_go_after_their_lifetime(
    connection: asyncpg.Connection, user_id: uuid.UUID
) -> None:
    for key, age in (("old", KEY_LIFETIME + HOUR), ("young", KEY_LIFETIME - HOUR)):
        await connection.execute(
            "INSERT INTO idempotency_keys (id, user_id, key, fingerprint, created_at) "
            "VALUES ($1, $2, $3, 'f', $4)",
            uuid.uuid4(),
            user_id,
            key,
            NOW - age,
        )
    reader = TransactionReader(connection)
    assert await purges.purge_idempotency_keys(reader, NOW, KEY_LIFETIME) >= 1
    mine = "SELECT key FROM idempotency_keys WHERE user_id = $1"
    assert await ids(connection, mine, user_id) == {"young"}
    await purges.purge_idempotency_keys(reader, NOW + 2 * HOUR, KEY_LIFETIME)
    assert await ids(connection, mine, user_id) == set()


async def test_rate_limit_counters_go_once_their_window_is_long_over(
    connection: asyncpg.Connection,
) -> None:
    keep = rate_limit_retention(Settings(login_window_seconds=300))
    assert keep == timedelta(days=1)
    assert rate_limit_retention(Settings(login_window_seconds=86_400)) == timedelta(days=2)
    prefix = f"test-{uuid.uuid4()}"
    for name, age in (("old", keep + HOUR), ("current", timedelta(seconds=30))):
        await connection.execute(
            "INSERT INTO rate_limit_counters (bucket, window_start, hits) VALUES ($1, $2, 1)",
            f"{prefix}:{name}",
            NOW - age,
        )
    reader = TransactionReader(connection)
    mine = "SELECT bucket FROM rate_limit_counters WHERE bucket LIKE $1"
    assert await purges.purge_rate_limit_counters(reader, NOW, keep) >= 1
    assert await ids(connection, mine, f"{prefix}:%") == {f"{prefix}:current"}
    await purges.purge_rate_limit_counters(reader, NOW + keep, keep)
    assert await ids(connection, mine, f"{prefix}:%") == set()


async def test_refresh_tokens_stay_until_they_expire_even_when_revoked(
    connection: asyncpg.Connection, user_id: uuid.UUID
) -> None:
    tokens = {
        "expired": (NOW - HOUR, None),
        "expired_revoked": (NOW - HOUR, NOW - 2 * HOUR),
        "live": (NOW + HOUR, None),
        "live_revoked": (NOW + HOUR, NOW - HOUR),  # still ends its sign-in: kept
    }
    for name, (expires_at, revoked_at) in tokens.items():
        await connection.execute(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, "
            "revoked_at) VALUES ($1, $2, $1, $3, $4, $5)",
            uuid.uuid4(),
            user_id,
            f"{name}-{user_id}",
            expires_at,
            revoked_at,
        )
    reader = TransactionReader(connection)
    mine = "SELECT split_part(token_hash, '-', 1) FROM refresh_tokens WHERE user_id = $1"
    assert await purges.purge_refresh_tokens(reader, NOW) >= 2
    assert await ids(connection, mine, user_id) == {"live", "live_revoked"}
    await purges.purge_refresh_tokens(reader, NOW + 2 * HOUR)
    assert await ids(connection, mine, user_id) == set()


async def test_account_tokens_go_once_used_or_expired(
    connection: asyncpg.Connection, user_id: uuid.UUID
) -> None:
    tokens = {
        "expired": (NOW - HOUR, None),
        "used": (NOW + HOUR, NOW - HOUR),
        "usable": (NOW + HOUR, None),
    }
    for name, (expires_at, used_at) in tokens.items():
        await connection.execute(
            "INSERT INTO account_tokens (id, user_id, purpose, token_hash, expires_at, used_at) "
            "VALUES ($1, $2, 'password_reset', $3, $4, $5)",
            uuid.uuid4(),
            user_id,
            f"{name}-{user_id}",
            expires_at,
            used_at,
        )
    reader = TransactionReader(connection)
    mine = "SELECT split_part(token_hash, '-', 1) FROM account_tokens WHERE user_id = $1"
    assert await purges.purge_account_tokens(reader, NOW) >= 2
    assert await ids(connection, mine, user_id) == {"usable"}
    await purges.purge_account_tokens(reader, NOW + 2 * HOUR)
    assert await ids(connection, mine, user_id) == set()


async def test_delivery_records_and_the_job_log_go_after_a_week(
    connection: asyncpg.Connection,
) -> None:
    old, recent = f"<old-{uuid.uuid4()}@inkwell>", f"<recent-{uuid.uuid4()}@inkwell>"
    await connection.executemany(
        "INSERT INTO mail_deliveries (message_id, delivered_at) VALUES ($1, $2)",
        [(old, NOW - MAIL_DELIVERY_RETENTION - HOUR), (recent, NOW - HOUR)],
    )
    await connection.executemany(
        "INSERT INTO pgqueuer.pgqueuer_log (created, job_id, status, priority, entrypoint) "
        "VALUES ($1, $2, 'successful', 0, 'test')",
        [(NOW - JOB_LOG_RETENTION - HOUR, -1), (NOW - HOUR, -2)],
    )
    await connection.execute(
        "INSERT INTO pgqueuer.pgqueuer_statistics (created, count, priority, status, entrypoint) "
        "VALUES ($1, 1, 0, 'successful', 'test')",
        NOW - JOB_LOG_RETENTION - HOUR,
    )
    deleted = await purge_all(TransactionReader(connection), Settings(), NOW)
    assert deleted["mail_deliveries"] >= 1
    assert deleted["job_log"] >= 2
    assert await ids(connection, "SELECT message_id FROM mail_deliveries") >= {recent}
    assert old not in await ids(connection, "SELECT message_id FROM mail_deliveries")
    log = "SELECT job_id FROM pgqueuer.pgqueuer_log WHERE entrypoint = 'test'"
    assert await ids(connection, log) == {-2}
    statistics = "SELECT count(*) FROM pgqueuer.pgqueuer_statistics WHERE entrypoint = 'test'"
    assert await connection.fetchval(statistics) == 0


async def test_every_purge_runs_with_the_real_tables(connection: asyncpg.Connection) -> None:
    """The scheduled job's whole run, as the worker calls it, against the migrated schema."""
    deleted = await purge_all(TransactionReader(connection), Settings(), NOW)
    assert set(deleted) == {
        "idempotency_keys",
        "rate_limit_counters",
        "refresh_tokens",
        "account_tokens",
        "mail_deliveries",
        "job_log",
    }
