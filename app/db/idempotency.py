"""The SQL behind idempotency keys (app.http.idempotency holds the rules)."""

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdempotencyKey

_KEYS = IdempotencyKey.__table__.c


async def claim(
    session: AsyncSession, user_id: uuid.UUID, key: str, fingerprint: str, expired_before: datetime
) -> bool:
    """Insert the key, or take over an expired one; False when a live one exists (after
    waiting for a concurrent insert of the same key to finish). One statement."""
    inserting = insert(IdempotencyKey).values(
        id=uuid.uuid4(), user_id=user_id, key=key, fingerprint=fingerprint
    )
    statement = inserting.on_conflict_do_update(
        constraint="uq_idempotency_keys_user_key",
        set_={
            "fingerprint": inserting.excluded.fingerprint,
            "created_at": inserting.excluded.created_at,
            "status_code": None,
            "response_body": None,
            "location": None,
            "etag": None,
        },
        where=_KEYS.created_at < expired_before,
    ).returning(_KEYS.id)
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def store(
    session: AsyncSession,
    user_id: uuid.UUID,
    key: str,
    body: bytes,
    location: str,
    etag: str | None,
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(status_code=201, response_body=body, location=location, etag=etag)
    )


async def get(session: AsyncSession, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    statement = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
    )
    return (await session.scalars(statement)).one_or_none()
