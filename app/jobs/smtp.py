"""Sending a message to the server `SMTP_URL` names, with aiosmtplib.

    smtp://host:port                 plain SMTP (a local sink, a relay on a private network)
    smtp+starttls://user:pass@host   SMTP upgraded with STARTTLS (port 587 unless given)
    smtps://user:pass@host           SMTP over TLS from the first byte (port 465 unless given)

Credentials are percent-decoded, so a password may hold any character.
"""

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

# Seconds any one step of a conversation (connect, a command, the data) may take: a server
# that hangs fails the attempt, to be retried later, instead of holding a job forever.
SEND_TIMEOUT = 30.0
_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, True, False),
    "smtps": (465, False, True),
}


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    use_tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES:
            raise ValueError(f"SMTP_URL must start with one of {', '.join(_SCHEMES)}://")
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host")
        default_port, start_tls, use_tls = _SCHEMES[parts.scheme]
        return cls(
            hostname=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            start_tls=start_tls,
            use_tls=use_tls,
        )

    async def send(self, message: EmailMessage) -> None:
        """Hand `message` over; raises aiosmtplib's errors when the server does not take it."""
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            use_tls=self.use_tls,
            timeout=SEND_TIMEOUT,
        )

    def __repr__(self) -> str:  # never the password, in logs or tracebacks
        return f"SmtpServer({self.hostname}:{self.port})"


def refused_for_good(error: BaseException) -> bool:
    """The server said no for good (a 5xx answer): sending the mail again cannot help."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500
