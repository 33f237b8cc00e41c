"""Refuse request bodies over the configured size with 413 before reading them whole."""

import json
from http import HTTPStatus
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import URI_PATH_SAFE
from app.http.asgi import HTTPMiddleware
from app.http.request_id import current_request_id


class BodyTooLarge(HTTPException):
    """Raised from `receive`, inside the app, so the problem handlers answer it like any 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds {limit} bytes.")


async def _send_413(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": HTTPStatus.REQUEST_ENTITY_TOO_LARGE.phrase,
            "status": 413,
            "detail": f"The request body exceeds {limit} bytes.",
            "instance": quote(scope["path"], safe=URI_PATH_SAFE),
            "request_id": current_request_id(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


class BodyLimitMiddleware(HTTPMiddleware):
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_413(scope, send, self.max_bytes)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # chunked bodies carry no Content-Length
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
