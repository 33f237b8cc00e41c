"""What an error answer echoes of the request (its path, field names, messages), made safe to
echo: within the contract's bounds and free of what the contract or JSON refuses.

Everything here is total: an error answer must never become a 500 because of what the
client sent (a 3,000-character path, a NUL in a JSON property name).
"""

import re
from urllib.parse import quote

from annotated_types import MaxLen
from pydantic import BaseModel

from app.contract import FieldError, Problem

# Characters a path keeps unencoded (RFC 3986 pchar and "/").
URI_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# NUL is refused by every contract model (PostgreSQL cannot store it); a lone surrogate
# cannot be encoded as UTF-8. Both become U+FFFD, the usual mark of an unreadable character.
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def max_length(model: type[BaseModel], field: str) -> int:
    """The `maxLength` the contract gives `model.field`, so the bounds follow the spec."""
    limits = [
        item.max_length for item in model.model_fields[field].metadata if isinstance(item, MaxLen)
    ]
    return min(limits)


MAX_INSTANCE = max_length(Problem, "instance")
MAX_DETAIL = max_length(Problem, "detail")
MAX_LOCATION = max_length(FieldError, "location")
MAX_MESSAGE = max_length(FieldError, "message")


def echoed(text: str, limit: int) -> str:
    """`text` with NUL and lone surrogates replaced, cut to `limit` characters."""
    return _UNSAFE.sub(REPLACEMENT, text[:limit])


def instance(path: str) -> str:
    """The problem's `instance`: the path percent-encoded, cut to the contract's bound between
    characters, so neither a %XX escape nor a character's UTF-8 sequence is split."""
    encoded = _encode(path)
    if len(encoded) <= MAX_INSTANCE:
        return encoded
    kept: list[str] = []
    size = 0
    # Every character encodes to at least one, so no more than MAX_INSTANCE of them can fit.
    for piece in map(_encode, path[:MAX_INSTANCE]):
        size += len(piece)
        if size > MAX_INSTANCE:
            break
        kept.append(piece)
    return "".join(kept)


def _encode(path: str) -> str:
    # errors="replace": a lone surrogate (possible from ASGI servers other than uvicorn)
    # becomes "?", encoded, instead of raising.
    return quote(path, safe=URI_PATH_SAFE, errors="replace")
