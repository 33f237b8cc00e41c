"""Strong ETags over a response's bytes, and the If-Match / If-None-Match rules (RFC 9110)."""

import hashlib

from app.errors import PreconditionFailed, PreconditionRequired


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


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
