"""JSON responses from contract models, serialized once (the bytes also feed the ETag)."""

from collections.abc import Iterable, Sequence

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

_EXTRA = "inkwell.extra_headers"

RawHeaders = Sequence[tuple[bytes, bytes]]


def raw_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """(name, value) pairs as ASGI sends them: bytes, names in lowercase."""
    return [(name.lower().encode(), value.encode()) for name, value in headers]


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
    """Headers a dependency decided on (rate limits) for whatever response the request gets.

    Appended, not set: a 429 names its own policy, and both must reach the client (repeated
    fields are one list, as the rate-limit headers' draft intends)."""
    request.scope.setdefault(_EXTRA, {}).update(headers)


def extra_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """What `add_response_headers` recorded for this request, as raw ASGI header pairs."""
    return raw_headers(scope.get(_EXTRA, {}).items())
