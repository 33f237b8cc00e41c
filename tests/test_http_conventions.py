"""What every response shares: problem+json errors, request ids, security headers, the spec."""

import asyncio
import base64
import hashlib
import re
import uuid

import httpx
import pytest
import yaml
from fastapi import FastAPI, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.config import Settings, get_settings
from app.db.reads import PoolReader
from app.db.session import create_engine, create_sessionmaker
from app.main import create_app
from app.spec import SPEC_PATH, parse_spec
from tests.helpers import admin_with_tokens, assert_problem, bearer, user_with_tokens


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nowhere"), 404)


async def test_wrong_method_is_405_naming_every_allowed_method(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/api/v1/posts/{uuid.uuid4()}")
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    me = await client.delete("/api/v1/users/me")  # not /users/{user_id}: "me" is no UUID
    assert_problem(me, 405)
    assert me.headers["allow"] == "GET, PATCH"
    live = await client.post("/api/v1/health/live")
    assert_problem(live, 405)
    assert live.headers["allow"] == "GET"


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/posts"])
async def test_malformed_json_is_400_naming_line_and_column(
    client: httpx.AsyncClient, path: str
) -> None:
    """On a FastAPI route (registerUser) and on a lean one (createPost), before any
    credentials are looked at: the body cannot be read at all."""
    body = b'{\n  "title": "x",\n  "body" "y"\n}'
    response = await client.post(path, content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 400)
    assert problem["type"] == "/problems/bad-request"
    assert problem["detail"] == (
        "The body is not valid JSON: Expecting ':' delimiter at line 3, column 10."
    )


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/api/v1/auth/register", "text/plain", "application/json"),
        ("/api/v1/posts", "application/x-www-form-urlencoded", "application/json"),
        ("/api/v1/auth/token", "application/json", "application/x-www-form-urlencoded"),
        ("/api/v1/auth/refresh", None, "application/json"),
    ],
)
async def test_a_body_in_another_media_type_is_415_naming_the_one_to_send(
    client: httpx.AsyncClient, path: str, content_type: str | None, expected: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(path, content=b'{"username": "a"}', headers=headers)
    problem = assert_problem(response, 415)
    assert problem["type"] == "/problems/unsupported-media-type"
    assert f"takes {expected};" in problem["detail"]


async def test_json_with_a_charset_or_a_json_suffix_is_json(client: httpx.AsyncClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/api/v1/auth/refresh",
            content=b'{"refresh_token": "x"}',
            headers={"content-type": content_type},
        )
        assert_problem(response, 401)


async def test_oversized_body_is_413_problem(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.settings.max_body_bytes
    response = await client.post(
        "/api/v1/auth/register",
        content=b"x" * (limit + 1),
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413)


async def test_oversized_chunked_body_is_413_problem(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    limit = app.state.settings.max_body_bytes

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(
        "/api/v1/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_unexpected_errors_are_500_without_internals() -> None:
    app = create_app(get_settings().model_copy(update={"cors_origins": ["http://demo.test"]}))

    async def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/explode", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get(
            "/explode", headers={"X-Request-ID": "trace-me-123", "Origin": "http://demo.test"}
        )
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == "trace-me-123"
    assert response.headers["x-request-id"] == "trace-me-123"
    # Answered inside the CORS layer: a browser app can read the problem and its request id.
    assert response.headers["access-control-allow-origin"] == "http://demo.test"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/api/v1/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/api/v1/health/live", headers={"X-Request-ID": "has spaces"})
    assert generated.headers["x-request-id"] != "has spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def test_security_headers_are_set(client: httpx.AsyncClient) -> None:
    headers = (await client.get("/api/v1/health/live")).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in headers["content-security-policy"]


async def test_openapi_json_is_the_reviewed_spec(client: httpx.AsyncClient) -> None:
    served = (await client.get("/openapi.json")).json()
    assert served == yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_everything_from_this_server(
    client: httpx.AsyncClient, page: str
) -> None:
    """No CDN: the pages work where only the API is reachable."""
    response = await client.get(page)
    assert response.status_code == 200
    loaded = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert loaded
    assert all(url.startswith("/") for url in loaded), loaded
    for url in loaded:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000
        assert asset.headers["cache-control"] == "public, max-age=86400"


async def test_docs_assets_are_only_the_packaged_files(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs/assets/../../app/config.py")).status_code == 404
    assert (await client.get("/docs/assets/nothing.js")).status_code == 404


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in parts}


def _sources(policy: dict[str, list[str]]) -> list[str]:
    return [source for sources in policy.values() for source in sources]


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_allow_their_own_scripts_only(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    hashes = {
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline
    }
    assert hashes <= set(policy["script-src"])
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["script-src"][0] == "'self'"
    assert not [source for source in _sources(policy) if source.startswith("http")]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    if page == "/redoc":  # no inline script; a search worker
        assert not inline
        assert "blob:" in policy["worker-src"]
    else:  # Swagger UI's set-up, the OAuth2 redirect's handler
        assert inline


async def test_answers_to_signed_in_requests_are_not_stored(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    assert (await client.get("/api/v1/users/me", headers=bearer(tokens))).headers[
        "cache-control"
    ] == "no-store"
    # Any request carrying credentials, whatever its answer.
    refused = await client.get("/api/v1/posts", headers={"Authorization": "Bearer nope"})
    assert refused.headers["cache-control"] == "no-store"
    anonymous = await client.get("/api/v1/posts")
    assert anonymous.status_code == 200
    assert "no-store" not in anonymous.headers.get("cache-control", "")


async def test_a_route_that_sets_its_own_cache_control_keeps_it() -> None:
    app = create_app(get_settings())

    async def cached() -> Response:
        return Response(headers={"Cache-Control": "private, max-age=60"})

    app.add_api_route("/cached", cached)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/cached", headers={"Authorization": "Bearer x"})
    assert response.headers.get_list("cache-control") == ["private, max-age=60"]


async def test_no_server_banner(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/api/v1/health/live"), await client.get("/nowhere")):
        assert "server" not in response.headers


async def test_a_body_that_is_not_text_is_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/refresh",
        content=b"u\xdc\x96\xff",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400)


async def test_no_content_answers_carry_no_content_type(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 204
    assert "content-type" not in response.headers


async def test_a_database_that_does_not_answer_is_503(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, tokens = await user_with_tokens(client)
    working = app.state.sessionmaker, app.state.read_sessionmaker
    dead = create_engine("postgresql+asyncpg://postgres@/postgres?host=/nonexistent-socket-dir")
    app.state.sessionmaker = app.state.read_sessionmaker = create_sessionmaker(dead)
    try:
        response = await client.patch(
            "/api/v1/users/me", json={"display_name": "Renamed"}, headers=bearer(tokens)
        )
    finally:
        app.state.sessionmaker, app.state.read_sessionmaker = working
        await dead.dispose()
    assert "retry" in assert_problem(response, 503)["detail"]
    assert response.headers["retry-after"] == "1"


async def test_public_reads_answer_503_when_the_database_does_not_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    working = app.state.reader
    dead = "postgresql+asyncpg://postgres@/postgres?host=/nonexistent-socket-dir"
    app.state.reader = PoolReader.connect(dead, 1)
    try:
        answers = [
            await client.get(path) for path in ("/api/v1/posts", f"/api/v1/posts/{uuid.uuid4()}")
        ]
    finally:
        await app.state.reader.close()
        app.state.reader = working
    for response in answers:
        assert "retry" in assert_problem(response, 503)["detail"]
        assert response.headers["retry-after"] == "1"


async def test_racing_registrations_of_one_email_create_one_account(
    app: FastAPI, committed_db: AsyncEngine, limits: Settings
) -> None:
    """One account, and every racer the same answer (the losers' owner gets a mail)."""
    limits.account_mails_per_hour = 100
    body = {"email": "race@example.com", "password": "long enough", "display_name": "Racer"}
    async with httpx.AsyncClient(base_url=app.state.base_url) as http:
        answers = await asyncio.gather(
            *(http.post("/api/v1/auth/register", json=body) for _ in range(10))
        )
    assert {(answer.status_code, answer.content) for answer in answers} == {
        (202, answers[0].content)
    }
    async with committed_db.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM users"))
    assert count == 1


def test_spec_dates_stay_strings() -> None:
    assert parse_spec("x-sunset: 2027-06-01\n") == {"x-sunset": "2027-06-01"}


async def test_nul_in_search_text_is_422(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    response = await client.get("/api/v1/posts", params={"q": "a\x00b"})
    assert assert_problem(response, 422)["errors"][0]["location"] == "query.q"
    _, tokens = await admin_with_tokens(client, db)
    users = await client.get("/api/v1/users", params={"q": "\x00"}, headers=bearer(tokens))
    assert assert_problem(users, 422)["errors"][0]["location"] == "query.q"


async def test_a_bad_token_on_a_public_list_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/posts", headers={"Authorization": "Bearer nope"})
    assert_problem(response, 401)
