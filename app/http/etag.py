"""Strong ETags over a response's bytes, and the If-Match / If-None-Match rules (RFC 9110)."""

import hashlib

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from app.errors import PreconditionFailed, PreconditionRequired

MAX_TAGS_LENGTH = 200  # the spec's maxLength of If-Match and If-None-Match


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def if_none_match(request: Request) -> str | None:
    """The `If-None-Match` header, validated as the spec declares it (1 to 200 characters), for
    `GET /posts/{post_id}`: a lean route (app.http.lean_routes) has no FastAPI header parameters.
    A value outside the spec is the same 422 problem a FastAPI route would answer."""
    value = request.headers.get("if-none-match")
    if value is not None and not 1 <= len(value) <= MAX_TAGS_LENGTH:
        message = f"String should have 1 to {MAX_TAGS_LENGTH} characters"
        where = ("header", "If-None-Match")
        raise RequestValidationError([{"type": "string_length", "loc": where, "msg": message}])
    return value


def none_match(if_none_match: str | None, current: str) -> bool:
    """True when the client's copy is current (answer 304). Weak comparison, as RFC 9110 says."""
    if if_none_match is None:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(if_none_match)]
    return "*" in tags or current in tags


def require_match(if_match: str | None, current: str, what: str) -> None:
    """Raise 428 without If-Match and 412 when it names another version (strong comparison)."""
    if if_match is None:
        raise PreconditionRequired(f"Send If-Match with the {what}'s ETag (read it first).")
    tags = _tags(if_match)
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(f"The {what} changed since you read it: read it again.")
