"""Refuse request bodies over the configured size with 413 before reading them whole."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.http.asgi import HTTPMiddleware


def _too_large(limit: int) -> str:
    return f"The request body exceeds {limit} bytes."


class BodyTooLarge(HTTPException):
    """Raised from `receive`, inside the app, so the problem handlers answer it like any 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


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
            # Answered before the app reads a byte; the connection closes, as the body is unread.
            response = problem_response(
                Request(scope), 413, _too_large(self.max_bytes), headers={"Connection": "close"}
            )
            await response(scope, receive, send)
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
