"""The SQL behind idempotency keys (app.http.idempotency holds the rules).

Statements are built once with bound values and run on the plain pool's connection inside
the create's transaction (app.db.reads)."""

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from app.db.models import IdempotencyKey
from app.db.reads import Reader

_KEYS = IdempotencyKey.__table__.c
_THIS_KEY = (_KEYS.user_id == bindparam("user_id")) & (_KEYS.key == bindparam("key"))
_inserting = insert(cast(Table, IdempotencyKey.__table__)).values(
    id=bindparam("id"),
    user_id=bindparam("user_id"),
    key=bindparam("key"),
    fingerprint=bindparam("fingerprint"),
)
# Insert the key, or take over an expired one (its answer forgotten).
_CLAIM = _inserting.on_conflict_do_update(
    constraint="uq_idempotency_keys_user_key",
    set_={
        "fingerprint": _inserting.excluded.fingerprint,
        "created_at": _inserting.excluded.created_at,
        "status_code": None,
        "response_body": None,
        "location": None,
        "etag": None,
    },
    where=_KEYS.created_at < bindparam("expired_before"),
).returning(_KEYS.id)
_STORE = (
    update(cast(Table, IdempotencyKey.__table__))
    .where(_THIS_KEY)
    .values(
        status_code=201,
        response_body=bindparam("body"),
        location=bindparam("location"),
        etag=bindparam("etag"),
    )
)
_GET = select(_KEYS.fingerprint, _KEYS.response_body, _KEYS.location, _KEYS.etag).where(_THIS_KEY)


async def claim(
    transaction: Reader,
    user_id: uuid.UUID,
    key: str,
    fingerprint: str,
    expired_before: datetime,
) -> bool:
    """Insert the key, or take over an expired one; False when a live one exists (after
    waiting for a concurrent insert of the same key to finish). One statement."""
    params = {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "key": key,
        "fingerprint": fingerprint,
        "expired_before": expired_before,
    }
    return bool(await transaction.fetch(_CLAIM, params))


async def store(
    transaction: Reader,
    user_id: uuid.UUID,
    key: str,
    body: bytes,
    location: str,
    etag: str | None,
) -> None:
    params = {"user_id": user_id, "key": key, "body": body, "location": location, "etag": etag}
    await transaction.fetch(_STORE, params)


async def get(transaction: Reader, user_id: uuid.UUID, key: str) -> Any | None:
    """The key's `fingerprint` and stored answer (`response_body`, `location`, `etag`)."""
    rows = await transaction.fetch(_GET, {"user_id": user_id, "key": key})
    return rows[0] if rows else None
