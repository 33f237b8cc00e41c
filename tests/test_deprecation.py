"""Deprecation and Sunset headers, driven by a synthetic spec on a tiny app (no database)."""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.config import get_settings
from app.http.deprecation import Deprecations
from app.http.envelope import EnvelopeMiddleware
from app.spec import load_spec

SPEC: dict[str, Any] = {
    "paths": {
        "/api/v1/things/mine": {"get": {"operationId": "getMyThing"}},
        "/api/v1/things/{thing_id}": {
            "get": {
                "operationId": "getThing",
                "deprecated": True,
                "x-deprecated-at": "2026-01-01T00:00:00Z",
                "x-sunset": "2026-07-01T14:00:00+02:00",
            },
            "delete": {"operationId": "deleteThing"},
        },
        # As PyYAML hands over an unquoted `x-deprecated-at: 2025-03-01`.
        "/api/v1/legacy": {
            "post": {
                "operationId": "legacy",
                "deprecated": True,
                "x-deprecated-at": date(2025, 3, 1),
            }
        },
    }
}


async def ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def refuse(request: Request) -> PlainTextResponse:
    return PlainTextResponse("no", status_code=422)


APP = Starlette(
    routes=[
        Route("/api/v1/things/mine", ok),
        Route("/api/v1/things/{thing_id}", ok, methods=["GET", "DELETE"]),
        Route("/api/v1/legacy", refuse, methods=["POST"]),
    ]
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=EnvelopeMiddleware(APP, settings=get_settings(), spec=SPEC))
    async with httpx.AsyncClient(transport=transport, base_url="http://inkwell.test") as http:
        yield http


async def test_deprecated_operation_sends_both_dates(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/things/42")
    assert answer.status_code == 200
    assert answer.headers["Deprecation"] == "@1767225600"
    assert answer.headers["Sunset"] == "Wed, 01 Jul 2026 12:00:00 GMT"


async def test_head_follows_get(client: httpx.AsyncClient) -> None:
    answer = await client.head("/api/v1/things/42")
    assert answer.headers["Deprecation"] == "@1767225600"


async def test_other_methods_on_the_same_path_are_not_deprecated(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.delete("/api/v1/things/42")
    assert answer.status_code == 200
    assert "Deprecation" not in answer.headers
    assert "Sunset" not in answer.headers


async def test_a_literal_path_shadows_the_template(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/things/mine")
    assert "Deprecation" not in answer.headers


async def test_errors_are_marked_too_and_sunset_is_optional(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/legacy")
    assert answer.status_code == 422
    assert answer.headers["Deprecation"] == "@1740787200"
    assert "Sunset" not in answer.headers


async def test_paths_outside_the_spec_pass_through(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/things/42/extra")
    assert answer.status_code == 404
    assert "Deprecation" not in answer.headers


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"deprecated": True}, "GET /x is deprecated but has no x-deprecated-at date"),
        (
            {"deprecated": True, "x-deprecated-at": "next spring"},
            "GET /x x-deprecated-at: 'next spring' is not an RFC 3339 date",
        ),
        (
            {"deprecated": True, "x-deprecated-at": "2026-01-01", "x-sunset": 2027},
            "GET /x x-sunset: 2027 is not an RFC 3339 date",
        ),
    ],
)
def test_a_deprecated_operation_needs_valid_dates(operation: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Deprecations({"paths": {"/x": {"get": operation}}})


def test_the_served_spec_parses() -> None:
    Deprecations(load_spec())
