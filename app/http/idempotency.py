"""`Idempotency-Key` on creates (draft-ietf-httpapi-idempotency-key-header).

The key row is inserted in the request's own transaction. A concurrent duplicate's insert waits
on the unique index until the first transaction ends: if it committed, the duplicate replays its
stored answer; if it rolled back, the duplicate proceeds as if it were first. Nothing is created
twice and no lock is held outside PostgreSQL.
"""

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Header, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.db import idempotency as keys
from app.db.models import IdempotencyKey
from app.errors import Conflict, InvalidField
from app.http.responses import json_response

KEY_LIFETIME = timedelta(hours=24)
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7E]+$"),
]


@dataclass(frozen=True, slots=True)
class Created:
    """A create's answer, in the form it is stored and replayed."""

    body: bytes
    location: str
    etag: str | None = None

    def response(self) -> Response:
        headers = {"Location": self.location}
        if self.etag:
            headers["ETag"] = self.etag
        return json_response(self.body, 201, headers)


def fingerprint(request: Request, body: BaseModel) -> str:
    """What makes two requests "the same" for a key: method, path and the validated body."""
    payload = [request.method, request.url.path, body.model_dump(mode="json")]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def idempotent_create(
    session: AsyncSession,
    user_id: uuid.UUID,
    key: str | None,
    request_fingerprint: str,
    create: Callable[[], Awaitable[Created]],
) -> Response:
    if key is None:
        return (await create()).response()
    expired_before = datetime.now(UTC) - KEY_LIFETIME
    if await keys.claim(session, user_id, key, request_fingerprint, expired_before):
        created = await create()
        await keys.store(session, user_id, key, created.body, created.location, created.etag)
        return created.response()
    return _replay(await keys.get(session, user_id, key), request_fingerprint)


def _replay(stored: IdempotencyKey | None, request_fingerprint: str) -> Response:
    if stored is None or stored.response_body is None or stored.location is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    if stored.fingerprint != request_fingerprint:
        raise InvalidField(
            "header.Idempotency-Key",
            "This key was already used for a different request; use a new key.",
        )
    return Created(stored.response_body, stored.location, stored.etag).response()
