"""A mail as the request path hands it to the worker, and the message the worker sends.

The Message-ID is fixed when the mail is enqueued, not when it is sent: every attempt at
sending it carries the same id, which is what the worker's delivery record (and the
recipient's mail client, should two copies ever get through) recognises as the same mail.
"""

import json
import uuid
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate

MESSAGE_ID_DOMAIN = "inkwell"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str  # plain-text body; links on their own lines
    message_id: str  # "<uuid@inkwell>", generated once, when the mail is enqueued

    def to_payload(self) -> bytes:
        """The job's payload: what the worker needs to build the message again."""
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_payload(cls, payload: bytes) -> "Mail":
        return cls(**json.loads(payload))

    def message(self, sender: str) -> EmailMessage:
        """The RFC 5322 message, dated now (the Date is the sending attempt's)."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Message-ID"] = self.message_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message.set_content(self.text)
        return message


def new_mail(to: str, subject: str, text: str) -> Mail:
    """A mail with a fresh, stable Message-ID (make_msgid's form, without the host name:
    a random UUID is unique enough and says nothing about the machine)."""
    return Mail(to, subject, text, f"<{uuid.uuid4()}@{MESSAGE_ID_DOMAIN}>")
