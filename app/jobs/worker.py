"""The worker process (`python -m app worker`): sends the mails requests enqueued, and purges
the tables that only grow, on a schedule.

PgQueuer runs it all: jobs are claimed with `FOR UPDATE SKIP LOCKED`, so any number of
workers share one queue; cron schedules live in the database too, so one purge runs per tick
whatever the number of workers.

**Retries.** A mail that fails to go out is handed back to the queue by PgQueuer
(`DatabaseRetryEntrypointExecutor`: the job row goes back to `queued` with a later
`execute_after`, nothing waits in memory), after 1 s, 2 s, 4 s ... at most 5 minutes apart:
20 retries span about an hour. After the last one, or at once when the server refuses the
mail for good (a 5xx answer), the job is held in the queue as `failed` (`on_failure="hold"`),
to be re-queued by hand, never dropped (PgQueuer's CLI: `PGQUEUER_SCHEMA=pgqueuer pgq failed`,
then `pgq requeue ID...`). A worker that stops mid-retry loses nothing.

**Workers that die.** A running job's row is `picked` and its heartbeat is refreshed every
half `--heartbeat-timeout`; a job whose heartbeat is older than the timeout is picked again
by any worker (this one, restarted, or another). Workers look for such jobs at least once
per timeout, so a dead worker's job runs again within about two timeouts.

**Once per mail.** Each mail carries the Message-ID it was given when enqueued, and the
worker records it in `mail_deliveries` once the SMTP server has accepted the mail. A job run
again (its worker died after sending, before PgQueuer acknowledged the job) finds the record
and sends nothing. What is left is SMTP's own window: a worker that dies after the server
took the mail and before its "250" reply is read sends it again.

**Stopping.** SIGTERM or SIGINT: no new job is claimed, the running ones finish, then the
process exits. A killed worker's jobs are picked again, as above. Losing the database makes
the worker start over (new connections) every few seconds until it is back.

The worker LISTENs for new jobs, so it connects to PostgreSQL directly (or through a
session-mode pool), never through PgBouncer in transaction mode: to `DATABASE_DIRECT_URL`
when set, else `DATABASE_URL` (refused when DATABASE_POOLER=transaction says that is a pooler).
"""

import argparse
import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import asyncpg
import pgqueuer
from pgqueuer import DatabaseRetryEntrypointExecutor, Job, PgQueuer, RetryRequested
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.executors import EntrypointExecutorParameters
from pgqueuer.models import Channel, Context, Schedule

from app.config import Settings, get_settings
from app.db.embedded import resolve_direct_database_url
from app.db.reads import PoolReader, asyncpg_dsn
from app.http.access_log import configure_logging
from app.jobs import purges, repository
from app.jobs.mail import Mail
from app.jobs.queue import SEND_MAIL, queries_on, queue_settings
from app.jobs.smtp import SmtpServer, refused_for_good
from app.observability import logs

HEARTBEAT_TIMEOUT = timedelta(seconds=30)
RETRY_ATTEMPTS = 20
RETRY_FIRST_DELAY = timedelta(seconds=1)
RETRY_MAX_DELAY = timedelta(minutes=5)
PURGE = "purge"
PURGE_SCHEDULE = "*/5 * * * *"
# Jobs claimed per query, and at most this many mails in flight (PgQueuer wants twice the
# batch at least): a burst of mails does not open a connection per mail at once.
BATCH_SIZE = 10
MAX_RUNNING_JOBS = 20
RESTART_DELAY = timedelta(seconds=5)
# How the queue's connection shows in pg_stat_activity.
APPLICATION_NAME = "inkwell-worker"

logger = logging.getLogger("app.jobs.worker")


def _message_id(job: Job) -> str | None:
    try:
        return Mail.from_payload(job.payload or b"").message_id
    except (ValueError, TypeError):
        return None


def _log_failure(job: Job, error: BaseException | None, retry_in: timedelta | None) -> None:
    """One line per failed attempt, saying whether the job will run again."""
    fields = {
        "job": job.entrypoint,
        "job_id": job.id,
        "attempt": job.attempts + 1,
        "message_id": _message_id(job),
        "error": f"{type(error).__name__}: {error}",
        **({"retry_in_seconds": retry_in.total_seconds()} if retry_in else {"held": True}),
    }
    logger.warning("job failed", extra={"fields": fields})


@dataclasses.dataclass
class MailExecutor(DatabaseRetryEntrypointExecutor):
    """PgQueuer's database retries with backoff, except for a mail the server refused for
    good, which is held at once; and one log line per failure."""

    async def execute(self, job: Job, context: Context) -> None:
        try:
            await super().execute(job, context)
        except RetryRequested as retry:
            cause = retry.__cause__
            if cause is not None and refused_for_good(cause):
                _log_failure(job, cause, None)
                raise cause from None
            _log_failure(job, cause, retry.delay)
            raise
        except Exception as error:
            _log_failure(job, error, None)
            raise


def mail_executor(parameters: EntrypointExecutorParameters) -> MailExecutor:
    return MailExecutor(
        parameters,
        max_attempts=RETRY_ATTEMPTS,
        initial_delay=RETRY_FIRST_DELAY,
        max_delay=RETRY_MAX_DELAY,
    )


def register_jobs(
    queue: PgQueuer, reader: PoolReader, smtp: SmtpServer, settings: Settings
) -> None:
    @queue.entrypoint(SEND_MAIL, on_failure="hold", executor_factory=mail_executor)
    async def send_mail(job: Job) -> None:
        mail = Mail.from_payload(job.payload or b"")
        if await repository.was_delivered(reader, mail.message_id):
            return  # an earlier run sent it; its worker died before the job was acknowledged
        await smtp.send(mail.message(settings.mail_from))
        await repository.record_delivery(reader, mail.message_id)

    @queue.schedule(PURGE, PURGE_SCHEDULE)
    async def purge(schedule: Schedule) -> None:
        await purges.purge_now(reader, settings)


def worker_factory(
    settings: Settings, database_url: str, smtp: SmtpServer
) -> Callable[[], AbstractAsyncContextManager[PgQueuer]]:
    """What PgQueuer's supervisor starts, and starts again after a failure (the database
    went away): its own connections each time."""

    @asynccontextmanager
    async def worker() -> AsyncIterator[PgQueuer]:
        connection = await asyncpg.connect(
            asyncpg_dsn(database_url),
            timeout=settings.database_connect_timeout,
            server_settings={"application_name": APPLICATION_NAME},
        )
        reader = PoolReader.connect(
            database_url,
            4,
            acquire_timeout=10.0,
            connect_timeout=settings.database_connect_timeout,
        )
        try:
            driver = AsyncpgDriver(connection)
            queue = PgQueuer(
                connection=driver,
                channel=Channel(queue_settings().channel),
                queries=queries_on(driver),
            )
            register_jobs(queue, reader, smtp, settings)
            yield queue
        finally:
            await reader.close()
            await connection.close()

    return worker


def _configure_logging(settings: Settings) -> None:
    """The app's lines in LOG_FORMAT; PgQueuer's own warnings and errors among them (root)."""
    configure_logging(settings.log_level, logs.log_format(settings))


async def run(heartbeat_timeout: timedelta) -> None:
    settings = get_settings()
    _configure_logging(settings)
    if not settings.smtp_url:
        raise SystemExit("SMTP_URL is not set: the worker has nowhere to send mail")
    smtp = SmtpServer.from_url(settings.smtp_url)
    database_url = resolve_direct_database_url(settings)  # LISTEN: never a transaction pooler
    logger.info("worker started", extra={"fields": {"smtp": repr(smtp)}})
    await pgqueuer.run(
        worker_factory(settings, database_url, smtp),
        # Also how often stale jobs are looked for (they send no notification).
        dequeue_timeout=heartbeat_timeout,
        heartbeat_timeout=heartbeat_timeout,
        batch_size=BATCH_SIZE,
        max_concurrent_tasks=MAX_RUNNING_JOBS,
        shutdown_on_listener_failure=True,
        restart_on_failure=True,
        restart_delay=RESTART_DELAY,
    )
    logger.info("worker stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m app worker", description="Send queued mail; purge old rows on a schedule."
    )
    parser.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=HEARTBEAT_TIMEOUT.total_seconds(),
        help="seconds without a heartbeat after which a running job counts as abandoned",
    )
    args = parser.parse_args(argv)
    asyncio.run(run(timedelta(seconds=args.heartbeat_timeout)))
