"""The SQL behind idempotency keys."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdempotencyKey


async def delete_expired(
    session: AsyncSession, user_id: uuid.UUID, key: str, before: datetime
) -> None:
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < before,
        )
    )


async def claim(session: AsyncSession, user_id: uuid.UUID, key: str, fingerprint: str) -> bool:
    """Insert the key; False when it exists (after waiting for a concurrent insert to finish)."""
    statement = (
        insert(IdempotencyKey)
        .values(id=uuid.uuid4(), user_id=user_id, key=key, fingerprint=fingerprint)
        .on_conflict_do_nothing(constraint="uq_idempotency_keys_user_key")
        .returning(IdempotencyKey.id)
    )
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
