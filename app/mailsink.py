"""A mail catcher for development: `python -m app.mailsink [--port 1025] [--dir .data/mail]`.

An SMTP server (aiosmtpd) on loopback that delivers nowhere: it saves each mail it receives
as an `.eml` file (open it with any mail client) and prints one line per mail with the
recipient, the subject and every link in the body, so a reset or verification link can be
followed straight from the console. `python -m app` starts one when `SMTP_URL` is unset.
"""

import argparse
import asyncio
import re
import signal
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from app.db.embedded import DATA_DIR

MAIL_DIR = DATA_DIR / "mail"
_LINK = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"


def links(message: EmailMessage) -> list[str]:
    """Every http(s) link in the message's text parts, in order, each once."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            for link in _LINK.findall(part.get_content()):
                link = link.rstrip(_TRAILING)
                if link not in found:
                    found.append(link)
    return found


class MailSink:
    """aiosmtpd's handler: every mail is accepted, saved and announced."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)  # aiosmtpd's default: data is not decoded
        path = await asyncio.to_thread(self._save, content)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        recipients = ", ".join(envelope.rcpt_tos)
        line = [f"mail to {recipients}: {message['Subject'] or '(no subject)'}", *links(message)]
        print(*line, f"({path})", flush=True)
        return "250 Message accepted for delivery"

    def _save(self, content: bytes) -> Path:
        """Written whole, then renamed: whoever watches the folder never reads half a mail."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        return partial.replace(self.folder / name)


async def serve(host: str, port: int, folder: Path) -> None:
    """Run the sink until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    sink = MailSink(folder)
    server = await loop.create_server(lambda: SMTP(sink, hostname="inkwell-mailsink"), host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"Mail sink on smtp://{host}:{port}, saving to {folder}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.mailsink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=MAIL_DIR, help="where .eml files go")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.dir))


if __name__ == "__main__":
    main()
