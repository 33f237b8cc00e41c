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
from typing import Annotated, Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from starlette.responses import Response

from app.db import idempotency as keys
from app.db.reads import Transaction, Writer
from app.errors import Conflict, InvalidField
from app.http.responses import json_response

KEY_LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"
_KEY: TypeAdapter[str] = TypeAdapter(
    Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7E]+$")]
)


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


def idempotency_key(request: Request) -> str | None:
    """The request's `Idempotency-Key`, if it sent one; a malformed one is a 422."""
    if (value := request.headers.get(HEADER)) is None:
        return None
    try:
        return _KEY.validate_python(value)
    except ValidationError as error:
        # A TypeAdapter's errors have no location of their own: the header's name is it.
        located = [{**problem, "loc": ("header", HEADER)} for problem in error.errors()]
        raise RequestValidationError(located) from None


def fingerprint(request: Request, body: BaseModel) -> str:
    """What makes two requests "the same" for a key: method, path and the validated body."""
    payload = [request.method, request.url.path, body.model_dump(mode="json")]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


Database = TypeVar("Database", bound=Writer)


async def idempotent_create(
    database: Database,
    user_id: uuid.UUID,
    key: str | None,
    request_fingerprint: str,
    create: Callable[[Database | Transaction], Awaitable[Created]],
) -> Response:
    """`create` on its own (one statement commits by itself) without a key; with one, in a
    transaction with the key's claim and the stored answer."""
    if key is None:
        return (await create(database)).response()
    expired_before = datetime.now(UTC) - KEY_LIFETIME
    async with database.transaction() as transaction:
        if await keys.claim(transaction, user_id, key, request_fingerprint, expired_before):
            created = await create(transaction)
            await keys.store(
                transaction, user_id, key, created.body, created.location, created.etag
            )
            return created.response()
        stored = await keys.get(transaction, user_id, key)
    return _replay(stored, request_fingerprint)


def _replay(stored: Any | None, request_fingerprint: str) -> Response:
    if stored is None or stored.response_body is None or stored.location is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    if stored.fingerprint != request_fingerprint:
        raise InvalidField(
            "header.Idempotency-Key",
            "This key was already used for a different request; use a new key.",
        )
    return Created(stored.response_body, stored.location, stored.etag).response()
