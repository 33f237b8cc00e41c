"""Refuse request bodies over the configured size with 413 before reading them whole.

The rules; app.http.envelope applies them to every request.
"""

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope


def too_large(limit: int) -> str:
    return f"The request body exceeds {limit} bytes."


class BodyTooLarge(HTTPException):
    """Raised from `receive`, inside the app, so the problem handlers answer it like any 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def limited(receive: Receive, limit: int) -> Receive:
    """`receive` that raises `BodyTooLarge` once the body exceeds `limit` bytes: chunked bodies
    carry no Content-Length, so they are counted as they arrive."""
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counting_receive
