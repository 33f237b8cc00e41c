"""Odd input never reaches a 500: what an error answer echoes of the request (its path, a JSON
property name) is made safe to echo, over-long request targets are a 414, and the 500 answer
itself cannot fail. Every answer here is a contract `Problem` with the usual headers."""

from typing import Any

import httpx
import pytest

from app.config import get_settings
from app.contract import Problem
from app.http import problems
from app.http.echo import MAX_INSTANCE, REPLACEMENT
from app.http.uri_limit import MAX_REQUEST_TARGET
from app.main import create_app
from tests.helpers import PROBLEM, bearer, user_with_tokens

SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")
REFRESH = "/api/v1/auth/refresh"
JSON = {"content-type": "application/json"}


def assert_safe_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A problem+json answer that the contract's Problem accepts, with the request id, the
    security headers and CORS's `Vary: Origin` (every answer leaves through the envelope)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["x-request-id"]
    for name in SECURITY_HEADERS:
        assert name in response.headers
    assert "Origin" in response.headers["vary"]
    problem = Problem.model_validate_json(response.content)
    assert problem.status == status
    assert problem.request_id == response.headers["x-request-id"]
    body: dict[str, Any] = response.json()
    return body


def _is_prefix_without_split_escape(instance: str, sent: str) -> bool:
    """`instance` is the start of the path as sent and does not end inside a %XX escape."""
    return sent.startswith(instance) and "%" not in instance[-2:]


async def test_a_long_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    path = "/" + "a" * 3000
    body = assert_safe_problem(await client.get(path), 404)
    assert len(body["instance"]) == MAX_INSTANCE
    assert path.startswith(body["instance"])


async def test_a_long_path_of_encoded_characters_is_cut_between_escapes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/" + "é" * 400)  # 2,401 characters once percent-encoded
    body = assert_safe_problem(response, 404)
    assert len(body["instance"]) <= MAX_INSTANCE
    assert _is_prefix_without_split_escape(body["instance"], response.request.url.raw_path.decode())
    assert body["instance"].endswith("%C3%A9")  # whole characters only


@pytest.mark.parametrize(
    "target",
    [
        "/" + "a" * MAX_REQUEST_TARGET,
        "/api/v1/posts?q=" + "a" * MAX_REQUEST_TARGET,
        "/api/v1/posts?" + "&".join(f"x{n}=1" for n in range(2000)),
    ],
    ids=["path", "query value", "many query parameters"],
)
async def test_a_request_target_over_the_bound_is_a_414_problem(
    client: httpx.AsyncClient, target: str
) -> None:
    body = assert_safe_problem(await client.get(target), 414)
    assert str(MAX_REQUEST_TARGET) in body["detail"]
    assert len(body["instance"]) <= MAX_INSTANCE


async def test_a_long_query_within_the_bound_gets_the_routes_answer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/posts", params={"q": "a" * 8000})
    assert assert_safe_problem(response, 422)["errors"][0]["location"] == "query.q"


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b'{"refresh_token":"x","\\u0000":1}', f"body.{REPLACEMENT}"),
        (b'{"refresh_token":"x","a\\u0000b":1}', f"body.a{REPLACEMENT}b"),
        (b'{"refresh_token":"x","' + b"k" * 5000 + b'":1}', "body." + "k" * 495),
    ],
    ids=["NUL name", "NUL inside a name", "5,000-character name"],
)
async def test_an_unknown_property_name_is_echoed_safely_in_a_422(
    client: httpx.AsyncClient, body: bytes, location: str
) -> None:
    response = await client.post(REFRESH, content=body, headers=JSON)
    errors = assert_safe_problem(response, 422)["errors"]
    assert [error["location"] for error in errors] == [location]


async def test_a_nul_property_name_on_a_signed_in_write_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    response = await client.patch(
        "/api/v1/users/me",
        content=b'{"display_name":"x","a\\u0000b":1}',
        headers={**JSON, **bearer(tokens)},
    )
    errors = assert_safe_problem(response, 422)["errors"]
    assert [error["location"] for error in errors] == [f"body.a{REPLACEMENT}b"]


async def test_a_lone_surrogate_in_a_property_name_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REFRESH, content=b'{"refresh_token":"x","\\ud800":1}', headers=JSON
    )
    assert_safe_problem(response, 422)


async def test_deeply_nested_json_is_a_400(client: httpx.AsyncClient) -> None:
    body = b"[" * 200_000 + b"]" * 200_000  # deeper than any parser recurses
    assert_safe_problem(await client.post(REFRESH, content=body, headers=JSON), 400)


async def test_a_host_header_that_is_no_host_does_not_change_the_answer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/nowhere", headers={"Host": "[::1"})
    assert assert_safe_problem(response, 404)["instance"] == "/api/v1/nowhere"


async def test_the_500_answer_survives_a_failure_to_build_it(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the problem cannot be built")

    # Every problem the server builds now fails: the 404 handler's, then the 500's.
    monkeypatch.setattr(problems, "problem_response", broken)
    response = await client.get("/api/v1/nowhere", headers={"X-Request-ID": "fallback-1"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["x-request-id"] == "fallback-1"
    problem = Problem.model_validate_json(response.content)
    assert problem.status == 500
    assert "cannot be built" not in response.text


@pytest.mark.parametrize("path", ["/" + "a" * 3000, "/" + "a" * MAX_REQUEST_TARGET])
async def test_a_browser_can_read_the_answer_to_a_long_path(path: str) -> None:
    origin = "http://demo.test"
    app = create_app(get_settings().model_copy(update={"cors_origins": [origin]}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        response = await http.get(path, headers={"Origin": origin})
    assert response.status_code in (404, 414)
    Problem.model_validate_json(response.content)
    assert response.headers["access-control-allow-origin"] == origin
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]
