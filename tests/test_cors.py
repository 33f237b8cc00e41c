"""Cross-origin access: preflights and actual responses, for an allowed and a foreign origin."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import get_settings
from app.main import create_app
from tests.helpers import assert_problem

ALLOWED, FOREIGN = "http://demo.test", "http://evil.test"
LIVE = "/api/v1/health/live"  # answers without a database: the app runs without its lifespan


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(get_settings().model_copy(update={"cors_origins": [ALLOWED]}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


def _preflight(origin: str, method: str, headers: str = "") -> dict[str, str]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    return asked | ({"Access-Control-Request-Headers": headers} if headers else {})


async def test_a_preflight_from_an_allowed_origin_is_granted(http: httpx.AsyncClient) -> None:
    wanted = "authorization, content-type, idempotency-key, if-match"
    answer = await http.options("/api/v1/posts", headers=_preflight(ALLOWED, "POST", wanted))
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "PATCH" in answer.headers["access-control-allow-methods"]
    for name in ("Authorization", "Idempotency-Key", "If-Match", "Content-Type"):
        assert name in answer.headers["access-control-allow-headers"]
    assert answer.headers["access-control-max-age"] == "600"
    assert answer.headers["vary"] == "Origin"
    assert answer.headers["x-request-id"]


@pytest.mark.parametrize(
    ("origin", "method", "headers", "refused"),
    [
        (FOREIGN, "GET", "", "origin"),
        (ALLOWED, "TRACE", "", "method"),
        (ALLOWED, "GET", "authorization, x-evil", "headers"),
        (FOREIGN, "TRACE", "x-evil", "origin, method, headers"),
    ],
)
async def test_a_preflight_asking_too_much_is_a_400_problem(
    http: httpx.AsyncClient, origin: str, method: str, headers: str, refused: str
) -> None:
    answer = await http.options("/api/v1/posts", headers=_preflight(origin, method, headers))
    assert assert_problem(answer, 400)["detail"] == f"Not allowed cross-origin: {refused}."
    assert "access-control-allow-origin" not in answer.headers


async def test_an_allowed_origin_may_read_the_response_and_its_headers(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get(LIVE, headers={"Origin": ALLOWED})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    exposed = answer.headers["access-control-expose-headers"]
    for name in ("ETag", "Location", "X-Request-ID", "RateLimit", "Retry-After"):
        assert name in exposed
    assert answer.headers["vary"] == "Origin"


@pytest.mark.parametrize("origin", [FOREIGN, None])
async def test_other_callers_get_no_cross_origin_grant(
    http: httpx.AsyncClient, origin: str | None
) -> None:
    answer = await http.get(LIVE, headers={"Origin": origin} if origin else {})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-expose-headers" not in answer.headers
    # Caches must not serve one origin's answer to another.
    assert answer.headers["vary"] == "Origin"


async def test_options_without_a_preflight_question_is_an_ordinary_request(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.options(LIVE, headers={"Origin": ALLOWED})
    assert_problem(answer, 405)
    assert answer.headers["access-control-allow-origin"] == ALLOWED


async def test_a_refused_body_is_readable_cross_origin(http: httpx.AsyncClient) -> None:
    limit = get_settings().max_body_bytes
    answer = await http.post(
        "/api/v1/auth/register",
        content=b"x" * (limit + 1),
        headers={"Origin": ALLOWED, "Content-Type": "application/json"},
    )
    assert_problem(answer, 413)
    assert answer.headers["access-control-allow-origin"] == ALLOWED
