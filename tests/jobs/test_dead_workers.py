"""Workers killed with SIGKILL: the job runs again on restart, and a mail already accepted by
the SMTP server is not sent a second time."""

from collections.abc import Callable

import asyncpg

from app.db.reads import asyncpg_dsn
from app.jobs.worker import APPLICATION_NAME
from tests.jobs.conftest import Jobs, SmtpServer, Worker, eventually, locked_job


async def test_a_job_whose_worker_was_killed_mid_send_completes_after_a_restart(
    jobs: Jobs, smtp: SmtpServer, start_worker: Callable[[], Worker]
) -> None:
    smtp.inbox.hold_next()
    mail = await jobs.enqueue()
    first = start_worker()

    async def sending() -> bool:
        """the worker in the middle of sending the mail"""
        return smtp.inbox.held.is_set()

    await eventually(sending)
    first.kill()
    smtp.inbox.release(accept=False)  # that conversation never completed
    job = await jobs.job(mail)
    assert job is not None
    assert job["status"] == "picked"  # claimed by a worker that no longer exists

    start_worker()

    async def sent() -> bool:
        """the mail delivered and its job acknowledged"""
        return bool(smtp.inbox.messages) and await jobs.job(mail) is None

    await eventually(sent)
    assert smtp.inbox.count() == {mail.message_id: 1}


async def test_a_mail_accepted_before_its_worker_died_is_not_sent_again(
    database_url: str, jobs: Jobs, smtp: SmtpServer, start_worker: Callable[[], Worker]
) -> None:
    """The worker dies after the SMTP server accepted the mail and before the job was
    acknowledged. To hit that moment every time, the job's row is locked while the mail is
    on its way: the worker records the delivery, then waits on the lock to acknowledge."""
    smtp.inbox.hold_next()
    mail = await jobs.enqueue()
    first = start_worker()

    async def sending() -> bool:
        """the worker in the middle of sending the mail"""
        return smtp.inbox.held.is_set()

    await eventually(sending)
    job = await jobs.job(mail)
    assert job is not None
    async with locked_job(database_url, job["id"]):
        smtp.inbox.release(accept=True)

        async def delivered() -> bool:
            """the delivery recorded"""
            return await jobs.delivered(mail)

        await eventually(delivered)
        first.kill()
        await _end_sessions_of_dead_workers(database_url)
    assert smtp.inbox.count() == {mail.message_id: 1}
    job = await jobs.job(mail)
    assert job is not None
    assert job["status"] == "picked"  # never acknowledged

    start_worker()

    async def acknowledged() -> bool:
        """the job run again and acknowledged"""
        return await jobs.job(mail) is None

    await eventually(acknowledged)
    assert smtp.inbox.count() == {mail.message_id: 1}
    runs = await jobs.connection.fetch(
        "SELECT status::text FROM pgqueuer.pgqueuer_log WHERE job_id = $1 ORDER BY id",
        job["id"],
    )
    # Picked by each worker in turn, acknowledged once.
    assert [run["status"] for run in runs] == ["queued", "picked", "picked", "successful"]


async def _end_sessions_of_dead_workers(database_url: str) -> None:
    """What PostgreSQL does by itself once it notices the killed worker's connections are
    gone: one of them is waiting on the lock, and would otherwise finish its statement."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            # With a timeout, pg_terminate_backend returns once the session has ended.
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
