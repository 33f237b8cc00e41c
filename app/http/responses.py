"""JSON responses from contract models, serialized once (the bytes also feed the ETag)."""

from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.http.asgi import HTTPMiddleware, on_response_start

_EXTRA = "inkwell.extra_headers"


def json_bytes(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def json_response(
    body: BaseModel | bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content = body if isinstance(body, bytes) else json_bytes(body)
    return Response(
        content, status_code=status_code, headers=headers, media_type="application/json"
    )


def add_response_headers(request: Request, headers: dict[str, str]) -> None:
    """Headers a dependency decided on (rate limits) for whatever response the request gets."""
    request.scope.setdefault(_EXTRA, {}).update(headers)


class ExtraHeadersMiddleware(HTTPMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        def add_extra(headers: MutableHeaders) -> None:
            # Appended, not set: a 429 names its own policy, and both must reach the client
            # (repeated fields are one list, as the rate-limit headers' draft intends).
            for name, value in scope.get(_EXTRA, {}).items():
                headers.append(name, value)

        await self.app(scope, receive, on_response_start(send, add_extra))
