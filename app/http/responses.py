"""JSON responses from contract models, serialized once (the bytes also feed the ETag)."""

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class ExtraHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_extra(message: Message) -> None:
            if message["type"] == "http.response.start" and _EXTRA in scope:
                extra = [(k.lower().encode(), v.encode()) for k, v in scope[_EXTRA].items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_extra)
