"""`X-Request-ID`: accept a sane one from the client or generate one; echo it; expose it to logs."""

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import Receive, Scope, Send

from app.http.asgi import HTTPMiddleware, on_response_start

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


class RequestIdMiddleware(HTTPMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Each request runs in its own task, so the value never leaks into another request;
        # it is deliberately not reset so the outermost 500 handler can still read it.
        request_id = _incoming(scope) or uuid.uuid4().hex
        _request_id.set(request_id)

        def add_id(headers: MutableHeaders) -> None:
            headers[HEADER] = request_id

        await self.app(scope, receive, on_response_start(send, add_id))
