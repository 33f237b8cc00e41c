"""The delivery record: which mails an SMTP server has accepted, by Message-ID."""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert

from app.db.models import MailDelivery
from app.db.reads import Reader

_MESSAGE_ID: Any = bindparam("message_id")
_DELIVERED = select(MailDelivery.message_id).where(MailDelivery.message_id == _MESSAGE_ID)
_RECORD = insert(MailDelivery).values(message_id=_MESSAGE_ID).on_conflict_do_nothing()


async def was_delivered(reader: Reader, message_id: str) -> bool:
    return bool(await reader.fetch(_DELIVERED, {"message_id": message_id}))


async def record_delivery(reader: Reader, message_id: str) -> None:
    await reader.fetch(_RECORD, {"message_id": message_id})
