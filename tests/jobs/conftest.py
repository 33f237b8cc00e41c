"""Real parts for the job tests: the migrated scratch database (tests/conftest.py), an SMTP
server (aiosmtpd) that keeps what it receives in memory, and the worker as its own process
(`python -m app worker`), started and killed like the real one.

These tests commit for real, on their own asyncpg connections: the worker is another process
and sees only committed rows. Each test leaves the queue and the delivery record empty.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import ClauseElement

from app.db.reads import arguments, asyncpg_dsn
from app.jobs.mail import Mail, new_mail
from app.jobs.queue import enqueue_mail
from contracts_tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Short enough that a killed worker's job is picked again within seconds.
HEARTBEAT_SECONDS = 1.5
WAIT_SECONDS = 20.0


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = WAIT_SECONDS) -> None:
    """Poll `check` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {check.__doc__ or check}")
        await asyncio.sleep(0.05)


class Inbox:
    """aiosmtpd's handler: keeps every accepted message. It can hold the next mail (its DATA
    is not answered until `release`), and refuses mail to `refused@...` for good (554)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.held = threading.Event()
        self._hold_next = False
        self._release = threading.Event()
        self._accept_held = True

    def reset(self) -> None:
        self.messages.clear()
        self.held.clear()
        self._hold_next = False
        self._release.clear()

    def hold_next(self) -> None:
        self._hold_next = True

    def release(self, *, accept: bool) -> None:
        """Answer the held mail: 250 (kept) or 451 (try again later, not kept)."""
        self._accept_held = accept
        self._release.set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self._hold_next:
            self._hold_next = False
            self.held.set()
            await asyncio.to_thread(self._release.wait, WAIT_SECONDS)
            if not self._accept_held:
                return "451 4.3.0 Try again later"
        if any(rcpt.startswith("refused@") for rcpt in envelope.rcpt_tos):
            return "554 5.7.1 Refused"
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def count(self) -> Counter[str]:
        """Deliveries per Message-ID."""
        return Counter(str(message["Message-ID"]) for message in self.messages)


class SmtpServer:
    """The test SMTP server on one port for the whole run; it can go down and come back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The SMTP server, up and with an empty inbox."""
    smtp_server.stop()
    smtp_server.inbox.reset()
    smtp_server.start()
    yield smtp_server
    smtp_server.inbox.release(accept=False)  # nothing stays blocked on a held mail


class TransactionReader:
    """app.db.reads.Reader on one connection: a purge test runs in a transaction it rolls
    back, so it deletes nobody else's rows."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def fetch(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        sql, args = arguments(statement, params)
        rows: list[asyncpg.Record] = await self._connection.fetch(sql, *args)
        return [_Row(row) for row in rows]


class _Row:
    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


async def _clear_jobs(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "TRUNCATE pgqueuer.pgqueuer, pgqueuer.pgqueuer_log, pgqueuer.pgqueuer_statistics"
    )
    await connection.execute("DELETE FROM mail_deliveries")


class Jobs:
    """The test's view of the database: enqueue mails, read the queue and the record."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def enqueue(self, mail: Mail | None = None, *, commit: bool = True) -> Mail:
        mail = mail or new_mail("reader@example.com", "Hello", "A link:\nhttp://x.test/a\n")
        transaction = self.connection.transaction()
        await transaction.start()
        await enqueue_mail(self.connection, mail)
        await (transaction.commit() if commit else transaction.rollback())
        return mail

    async def job(self, mail: Mail) -> asyncpg.Record | None:
        """The mail's job row, while it is queued, picked or held."""
        row: asyncpg.Record | None = await self.connection.fetchrow(
            "SELECT id, status::text, attempts FROM pgqueuer.pgqueuer WHERE dedupe_key = $1",
            mail.message_id,
        )
        return row

    async def pending(self) -> int:
        count: int = await self.connection.fetchval("SELECT count(*) FROM pgqueuer.pgqueuer")
        return count

    async def delivered(self, mail: Mail) -> bool:
        found: bool = await self.connection.fetchval(
            "SELECT EXISTS (SELECT FROM mail_deliveries WHERE message_id = $1)", mail.message_id
        )
        return found


@pytest.fixture
async def jobs(database_url: str) -> AsyncIterator[Jobs]:
    """Committed work on the scratch database; the queue and delivery record are emptied
    before and after (after the test's workers have stopped)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await _clear_jobs(connection)
        yield Jobs(connection)
        await _clear_jobs(connection)
    finally:
        await connection.close()


class Worker:
    """One `python -m app worker` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "worker", f"--heartbeat-timeout={HEARTBEAT_SECONDS}"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        self.process.kill()
        self.process.wait()

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


@pytest.fixture(scope="session")
def worker_env(database_url: str, smtp_server: SmtpServer) -> dict[str, str]:
    """A worker's environment: the scratch database and the test SMTP server."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SMTP_URL": smtp_server.url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def start_worker(
    worker_env: dict[str, str], jobs: Jobs, tmp_path: Path
) -> Iterator[Callable[[], Worker]]:
    """Start workers of the test's own; all are killed at the end, and their output printed
    (pytest shows it when the test fails)."""
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(worker_env, tmp_path / "worker.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()
    if (tmp_path / "worker.log").exists():
        print((tmp_path / "worker.log").read_text())


@pytest.fixture(scope="module")
def worker(
    worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """One worker for the tests of a module that kill none (a start costs seconds); it must
    stop cleanly on SIGTERM at the end."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    running = Worker(worker_env, log)
    yield running
    status = running.stop()
    print(log.read_text())
    assert status == 0


@asynccontextmanager
async def locked_job(database_url: str, job_id: int) -> AsyncIterator[asyncpg.Connection]:
    """The job's row locked by another transaction: its worker cannot acknowledge it."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT FROM pgqueuer.pgqueuer WHERE id = $1 FOR UPDATE", job_id
            )
            yield connection
    finally:
        await connection.close()
