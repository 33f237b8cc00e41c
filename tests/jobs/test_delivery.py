"""Mail enqueued in a transaction, sent by the real worker to a real SMTP server."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.jobs.mail import new_mail
from app.jobs.queue import enqueue_mail_in_session
from tests.jobs.conftest import Jobs, SmtpServer, Worker, eventually


async def test_a_committed_mail_is_sent_once_a_rolled_back_one_never(
    jobs: Jobs, smtp: SmtpServer, worker: Worker
) -> None:
    rolled_back = await jobs.enqueue(commit=False)
    committed = await jobs.enqueue(
        new_mail("ada@example.com", "Reset your password", "Open:\nhttp://app.test/reset?t=1\n")
    )

    async def sent() -> bool:
        """the committed mail delivered and its job acknowledged"""
        return bool(smtp.inbox.messages) and await jobs.pending() == 0

    await eventually(sent)
    await asyncio.sleep(0.5)  # time for a wrongly queued second mail to arrive too
    assert smtp.inbox.count() == {committed.message_id: 1}
    (message,) = smtp.inbox.messages
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your password"
    assert message["From"] == "Inkwell <no-reply@inkwell.localhost>"
    assert message["Date"]
    assert "http://app.test/reset?t=1" in message.get_content()
    assert await jobs.delivered(committed)
    assert not await jobs.delivered(rolled_back)


async def test_a_session_enqueues_in_its_transaction_even_before_its_first_statement(
    database_url: str, jobs: Jobs, smtp: SmtpServer, worker: Worker
) -> None:
    """SQLAlchemy sends BEGIN only with a session's first statement: a job enqueued first must
    still be part of the session's transaction."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            dropped = new_mail("a@example.com", "Dropped", "text")
            await enqueue_mail_in_session(session, dropped)
            assert await jobs.job(dropped) is None  # not visible before commit
            await session.rollback()
            kept = new_mail("b@example.com", "Kept", "text")
            await enqueue_mail_in_session(session, kept)
            await session.commit()
    finally:
        await engine.dispose()

    async def sent() -> bool:
        """the committed mail delivered and its job acknowledged"""
        return bool(smtp.inbox.messages) and await jobs.pending() == 0

    await eventually(sent)
    assert smtp.inbox.count() == {kept.message_id: 1}


async def test_mail_sent_while_smtp_was_down_arrives_once_when_it_is_back(
    jobs: Jobs, smtp: SmtpServer, worker: Worker
) -> None:
    smtp.stop()
    mails = [await jobs.enqueue() for _ in range(5)]

    async def retried() -> bool:
        """every mail failed three times (retried with backoff, not lost)"""
        rows = [await jobs.job(mail) for mail in mails]
        return all(row is not None and row["attempts"] >= 3 for row in rows)

    await eventually(retried)
    smtp.start()

    async def all_sent() -> bool:
        """every mail delivered and every job acknowledged"""
        return len(smtp.inbox.messages) >= len(mails) and await jobs.pending() == 0

    await eventually(all_sent)
    assert smtp.inbox.count() == {mail.message_id: 1 for mail in mails}


async def test_a_mail_refused_for_good_is_held_not_retried_or_dropped(
    jobs: Jobs, smtp: SmtpServer, worker: Worker
) -> None:
    refused = await jobs.enqueue(new_mail("refused@example.com", "No", "text"))

    async def held() -> bool:
        """the job held as failed"""
        row = await jobs.job(refused)
        return row is not None and row["status"] == "failed"

    await eventually(held)
    row = await jobs.job(refused)
    assert row is not None
    assert row["attempts"] == 0  # one attempt, no retry
    assert not smtp.inbox.messages
