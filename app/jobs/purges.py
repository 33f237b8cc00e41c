"""The periodic purge: what each growing table keeps, and the job that applies it.

- idempotency keys: their lifetime (`app.http.idempotency.KEY_LIFETIME`, 24 h), after which
  a retry is a new request anyway;
- rate-limit counters: a day, or twice the login window if that is longer. Every window in
  use is shorter (writes 60 s, login and guesses `LOGIN_WINDOW_SECONDS`, account mails 1 h),
  so a counter that old belongs to a finished window, and the next hit starts a new one;
- refresh tokens: until they expire, revoked or not (a revoked one still ends its sign-in);
- reset and verification tokens: until used or expired;
- delivery records: a week, far beyond any retry of their job (about an hour, app.jobs.worker);
- PgQueuer's job log and statistics: a week.
"""

import logging
from datetime import UTC, datetime, timedelta

from app.config import Settings
from app.db import purges
from app.db.reads import Reader
from app.http.idempotency import KEY_LIFETIME

MAIL_DELIVERY_RETENTION = timedelta(days=7)
JOB_LOG_RETENTION = timedelta(days=7)
RATE_LIMIT_RETENTION = timedelta(days=1)

logger = logging.getLogger("app.jobs.purges")


def rate_limit_retention(settings: Settings) -> timedelta:
    return max(RATE_LIMIT_RETENTION, 2 * timedelta(seconds=settings.login_window_seconds))


async def purge_all(reader: Reader, settings: Settings, now: datetime) -> dict[str, int]:
    """Run every purge as of `now`; the rows each deleted, by table."""
    return {
        "idempotency_keys": await purges.purge_idempotency_keys(reader, now, KEY_LIFETIME),
        "rate_limit_counters": await purges.purge_rate_limit_counters(
            reader, now, rate_limit_retention(settings)
        ),
        "refresh_tokens": await purges.purge_refresh_tokens(reader, now),
        "account_tokens": await purges.purge_account_tokens(reader, now),
        "mail_deliveries": await purges.purge_mail_deliveries(reader, now, MAIL_DELIVERY_RETENTION),
        "job_log": await purges.purge_job_log(reader, now, JOB_LOG_RETENTION),
    }


async def purge_now(reader: Reader, settings: Settings) -> None:
    """The scheduled job: purge as of the current time, and log what went (one line)."""
    try:
        deleted = await purge_all(reader, settings, datetime.now(UTC))
    except Exception:
        # The next run tries again; nothing is lost by skipping one.
        logger.exception("purge failed", extra={"fields": {"job": "purge"}})
        return
    logger.info("purged", extra={"fields": {"job": "purge", "deleted": deleted}})
