"""`X-Request-ID`: accept a sane one from the client or generate one; echo it; expose it to logs."""

import re
import uuid
from contextvars import ContextVar

from starlette.types import Scope

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[\x21-\x7e]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def _incoming(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID.match(text) else None
    return None


def assign_request_id(scope: Scope) -> str:
    """The request's id (the client's, when sane), made current for everything that logs."""
    # Each request runs in its own task, so the value never leaks into another request; it is
    # deliberately not reset so the outermost 500 handler can still read it.
    request_id = _incoming(scope) or uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id
