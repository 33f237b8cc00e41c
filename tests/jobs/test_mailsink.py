"""The development mail sink, as `python -m app` runs it, and the SMTP_URL forms."""

import asyncio
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import aiosmtplib
import pytest

from app.jobs.mail import new_mail
from app.jobs.smtp import SmtpServer, refused_for_good
from contracts_tests.live_server import free_port
from tests.jobs.conftest import ROOT, WAIT_SECONDS


async def _line(stream: asyncio.StreamReader) -> str:
    return (await asyncio.wait_for(stream.readline(), WAIT_SECONDS)).decode()


async def test_the_sink_saves_each_mail_and_prints_its_links(tmp_path: Path) -> None:
    port = free_port()
    sink = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.mailsink",
        "--port",
        str(port),
        "--dir",
        str(tmp_path / "mail"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert sink.stdout is not None
    try:
        assert f"smtp://127.0.0.1:{port}" in await _line(sink.stdout)
        mail = new_mail(
            "ada@example.com",
            "Reset your Inkwell password",
            "Reset it here:\nhttp://localhost:5173/reset-password?token=abc\n\n"
            "Or ignore this mail (https://inkwell.example/help).\n",
        )
        await SmtpServer("127.0.0.1", port).send(mail.message("Inkwell <no-reply@x.test>"))
        line = await _line(sink.stdout)
    finally:
        sink.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(sink.wait(), WAIT_SECONDS) == 0

    assert line.count("\n") == 1
    assert "ada@example.com" in line
    assert "Reset your Inkwell password" in line
    assert "http://localhost:5173/reset-password?token=abc" in line
    assert "https://inkwell.example/help " in line  # without the closing parenthesis
    (saved,) = (tmp_path / "mail").iterdir()
    assert saved.suffix == ".eml"
    assert str(saved) in line
    message = message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["Message-ID"] == mail.message_id
    assert message["Subject"] == "Reset your Inkwell password"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", SmtpServer("127.0.0.1", 1025)),
        (
            "smtp+starttls://me%40x.test:p%3Ass@mail.x.test",
            SmtpServer("mail.x.test", 587, "me@x.test", "p:ss", start_tls=True),
        ),
        ("smtps://u:p@mail.x.test", SmtpServer("mail.x.test", 465, "u", "p", use_tls=True)),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.x.test", "smtp://", "mail.x.test:25"])
def test_unusable_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpServer.from_url(url)


def test_the_server_is_never_shown_with_its_password() -> None:
    assert "secret" not in repr(SmtpServer.from_url("smtps://user:secret@mail.x.test"))


def test_a_refusal_is_permanent_only_when_the_server_says_so() -> None:
    assert refused_for_good(aiosmtplib.SMTPDataError(554, "no"))
    assert refused_for_good(
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no", "a")])
    )
    assert not refused_for_good(aiosmtplib.SMTPDataError(451, "later"))
    assert not refused_for_good(aiosmtplib.SMTPConnectError("refused"))
