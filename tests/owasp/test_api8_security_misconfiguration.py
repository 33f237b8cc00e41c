"""API8:2023 Security Misconfiguration.

What the deployment and the HTTP layer must get right whatever the operation. In Inkwell
(app/http/envelope.py and its rules, app/__main__.py, app/config.py): security headers on every
answer, errors and refusals included; no `Server` banner; `Cache-Control: no-store` on every
answer to a request with credentials and on the token endpoints; a Content-Security-Policy
that lets the docs pages run only their own scripts; CORS for the configured origins only,
without credentials, exposing only the documented headers; errors as problem+json without
internals, and no odd value reaching a 500; proxies trusted only when configured; and no
start outside development without a strong `SECRET_KEY`.

Also covered elsewhere:
- tests/test_http_conventions.py::test_unexpected_errors_are_500_without_internals (no stack
  trace, no exception text, the request id) and
  tests/test_hostile_input.py::test_the_500_answer_survives_a_failure_to_build_it.
- tests/test_http_conventions.py::test_docs_pages_allow_their_own_scripts_only (the CSP of
  /docs, /redoc and the OAuth2 redirect: hashed inline scripts, no 'unsafe-inline').
- tests/test_http_conventions.py::test_answers_to_signed_in_requests_are_not_stored and
  ::test_no_server_banner; tests/test_auth.py::test_token_issues_a_bearer_pair (no-store).
- tests/test_cors.py: preflights granted and refused (400 problem naming what), exposed
  headers for an allowed origin, no grant for others.
- tests/test_hostile_input.py: odd paths, property names and bodies answer problems, not 500s.
- tests/test_config.py, tests/test_keys.py: `Settings` refuses a missing or short key.
"""

import base64
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI

import app.__main__ as entry
from app import lifecycle
from app.config import Settings, get_settings
from app.db import migrate
from app.db.pagination import _sign
from app.main import create_app
from app.spec import load_spec
from tests.helpers import PASSWORD, POSTS, assert_problem, bearer, current_etag, unique_email
from tests.owasp.support import ME, ROOT, TOKEN, Scene, walk

PROBLEM = "application/problem+json"
HARDENING = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def _assert_hardened(response: httpx.Response) -> None:
    for name, value in HARDENING.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "server" not in response.headers
    assert "x-powered-by" not in response.headers
    assert response.headers["x-request-id"]
    assert "Origin" in response.headers["vary"]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.text
        assert "Traceback" not in response.text
    if "authorization" in response.request.headers:
        assert response.headers["cache-control"] == "no-store"


Answer = Callable[[httpx.AsyncClient, Scene, Settings], Awaitable[httpx.Response]]


async def _stale_edit(client: httpx.AsyncClient, scene: Scene, _: Settings) -> httpx.Response:
    headers = {**bearer(scene.tokens), "If-Match": '"stale"'}
    return await client.patch(f"{POSTS}/{scene.post['id']}", json={"title": "x"}, headers=headers)


async def _not_modified(client: httpx.AsyncClient, scene: Scene, _: Settings) -> httpx.Response:
    etag = await current_etag(client, scene.post["id"])
    return await client.get(f"{POSTS}/{scene.post['id']}", headers={"If-None-Match": etag})


async def _too_many(client: httpx.AsyncClient, scene: Scene, limits: Settings) -> httpx.Response:
    limits.login_attempts_per_address = 1
    form = {"username": unique_email(), "password": PASSWORD}
    await client.post(TOKEN, data=form)
    return await client.post(TOKEN, data=form)


ANSWERS: dict[str, tuple[int, Answer]] = {
    "public read": (200, lambda c, s, _: c.get(POSTS)),
    "signed-in read": (200, lambda c, s, _: c.get(ME, headers=bearer(s.tokens))),
    "create": (
        201,
        lambda c, s, _: c.post(POSTS, json={"title": "t", "body": "b"}, headers=bearer(s.tokens)),
    ),
    "no content": (
        204,
        lambda c, s, _: c.post(
            "/api/v1/auth/logout", json={"refresh_token": s.tokens["refresh_token"]}
        ),
    ),
    "not modified": (304, _not_modified),
    "bad cursor": (400, lambda c, s, _: c.get(POSTS, params={"cursor": "forged.cursor"})),
    "preflight from an unknown origin": (
        400,
        lambda c, s, _: c.options(
            POSTS,
            headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "DELETE"},
        ),
    ),
    "no credentials": (401, lambda c, s, _: c.get(ME)),
    "bad credentials": (401, lambda c, s, _: c.get(POSTS, headers={"Authorization": "Bearer x"})),
    "not an admin": (403, lambda c, s, _: c.get("/api/v1/users", headers=bearer(s.tokens))),
    "unknown route": (404, lambda c, s, _: c.get("/api/v1/nowhere")),
    "unknown post": (404, lambda c, s, _: c.get(f"{POSTS}/{uuid.uuid4()}")),
    "wrong method": (405, lambda c, s, _: c.put(f"{POSTS}/{s.post['id']}")),
    "TRACE": (405, lambda c, s, _: c.request("TRACE", POSTS)),
    "stale edit": (412, _stale_edit),
    "body too large": (
        413,
        lambda c, s, limits: c.post(
            POSTS,
            content=b"x" * (limits.max_body_bytes + 1),
            headers={**bearer(s.tokens), "Content-Type": "application/json"},
        ),
    ),
    "request target too long": (414, lambda c, s, _: c.get("/" + "a" * 9000)),
    "invalid parameter": (422, lambda c, s, _: c.get(POSTS, params={"limit": 0})),
    "edit without If-Match": (
        428,
        lambda c, s, _: c.patch(
            f"{POSTS}/{s.post['id']}", json={"title": "x"}, headers=bearer(s.tokens)
        ),
    ),
    "rate limited": (429, _too_many),
}


@pytest.mark.parametrize(("status", "answer"), ANSWERS.values(), ids=ANSWERS.keys())
async def test_every_kind_of_answer_carries_the_security_headers(
    client: httpx.AsyncClient, scene: Scene, limits: Settings, status: int, answer: Answer
) -> None:
    response = await answer(client, scene, limits)
    assert response.status_code == status, response.text
    _assert_hardened(response)


async def test_personal_answers_are_never_stored(client: httpx.AsyncClient, scene: Scene) -> None:
    """The token endpoints' answers, and every answer to a request with credentials: the
    caller's account, tokens, their own drafts, an admin's view of all accounts."""
    user, admin = bearer(scene.tokens), bearer(scene.admin_tokens)
    refresh = {"refresh_token": scene.tokens["refresh_token"]}
    answers = [
        await client.post(TOKEN, data={"username": scene.user["email"], "password": PASSWORD}),
        await client.post("/api/v1/auth/refresh", json=refresh),
        await client.get(ME, headers=user),
        await client.patch(ME, json={"display_name": "Renamed"}, headers=user),
        await client.get(f"/api/v1/users/{scene.user['id']}", headers=user),
        await client.get(f"{POSTS}/{scene.draft['id']}", headers=user),
        await client.get(
            f"/api/v1/users/{scene.user['id']}/posts", params={"status": "all"}, headers=user
        ),
        await client.get("/api/v1/users", headers=admin),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store", response.request.url


# --- CORS --------------------------------------------------------------------------------------

ALLOWED = "https://app.inkwell.example"
LOOK_ALIKES = [
    "https://app.inkwell.example.evil.test",
    "https://evil-app.inkwell.example",
    "https://app.inkwell.exampl",
    "http://app.inkwell.example",
    "https://app.inkwell.example:8443",
    "null",
]
LIVE = "/api/v1/health/live"  # answers without a database: the app runs without its lifespan


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(get_settings().model_copy(update={"cors_origins": [ALLOWED]}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


@pytest.mark.parametrize("origin", LOOK_ALIKES)
async def test_cors_grants_nothing_to_origins_that_only_resemble_an_allowed_one(
    browser: httpx.AsyncClient, origin: str
) -> None:
    asked = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    preflight = await browser.options(LIVE, headers=asked)
    assert "origin" in assert_problem(preflight, 400)["detail"]
    answer = await browser.get(LIVE, headers={"Origin": origin})
    assert answer.status_code == 200
    granted = [name for name in answer.headers if name.startswith("access-control-")]
    assert granted == []
    for response in (preflight, answer):
        assert "access-control-allow-origin" not in response.headers


def _documented_response_headers() -> set[str]:
    """Every response header the contract declares, plus the deprecation headers the README
    documents (sent only by deprecated operations, of which there may be none)."""
    names = {
        name.lower()
        for node in walk(load_spec())
        if "description" in node and isinstance(node.get("headers"), dict)
        for name in node["headers"]
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`Deprecation: @" in readme
    assert "`Sunset: " in readme
    return names | {"deprecation", "sunset"}


async def test_cors_exposes_only_documented_headers_and_never_credentials(
    browser: httpx.AsyncClient,
) -> None:
    answer = await browser.get(LIVE, headers={"Origin": ALLOWED})
    assert answer.headers["access-control-allow-origin"] == ALLOWED  # never "*"
    listed = answer.headers["access-control-expose-headers"]
    exposed = {name.strip().lower() for name in listed.split(",")}
    assert exposed <= _documented_response_headers()
    assert {"location", "etag", "x-request-id", "retry-after"} <= exposed
    preflight = await browser.options(
        POSTS,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    for response in (answer, preflight):
        assert "access-control-allow-credentials" not in response.headers


# --- errors --------------------------------------------------------------------------------------


def _signed_cursor(app: FastAPI, scope: str, moment: str) -> str:
    """A cursor carrying any value, signed with the server's own key: what a leaked key, or a
    bug in the encoder, would produce."""
    payload = orjson.dumps([moment, str(uuid.uuid4())])
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_sign(app.state.keys.cursors.signing.secret, scope.encode() + b'|' + payload)}"


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2026-11-22T10:00:00", "nonsense"],
)
async def test_a_signed_cursor_with_values_out_of_range_is_a_400_not_a_database_error(
    app: FastAPI, client: httpx.AsyncClient, moment: str
) -> None:
    """Issue 11, item 5: years 0001 and 9999 with offsets fall outside PostgreSQL's range
    once in UTC; they were a 500 from the database."""
    cursor = _signed_cursor(app, "posts|newest|None|None|None", moment)
    assert_problem(await client.get(POSTS, params={"cursor": cursor}), 400)


def test_the_app_does_not_run_in_debug_mode() -> None:
    assert create_app(get_settings()).debug is False


# --- deployment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "proxy_headers", "allow"),
    [("", False, None), ("10.0.0.5, 10.0.1.0/24", True, "10.0.0.5, 10.0.1.0/24")],
)
def test_python_m_app_serves_without_a_banner_and_trusts_only_named_proxies(
    monkeypatch: pytest.MonkeyPatch,
    trusted: str,
    proxy_headers: bool,
    allow: str | None,
) -> None:
    """Issue 11, items 6 and 7: how `python -m app` starts uvicorn (the test server's own
    settings, tests/conftest.py, prove nothing about it)."""
    started: dict[str, Any] = {}
    settings = Settings(secret_key="p" * 40, forwarded_allow_ips=trusted)
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL", ""))  # main() sets it
    monkeypatch.setattr(sys, "argv", ["python -m app"])
    monkeypatch.setattr(entry, "get_settings", lambda: settings)
    monkeypatch.setattr(entry, "resolve_database_url", lambda _: "postgresql+asyncpg://x@/y")
    monkeypatch.setattr(migrate, "upgrade", lambda _: None)

    def run(server: lifecycle.DrainingServer, *args: object) -> None:
        started["config"] = server.config
        server.started = True

    monkeypatch.setattr(lifecycle.DrainingServer, "run", run)
    entry.main()
    config: uvicorn.Config = started["config"]
    assert config.server_header is False
    assert config.proxy_headers is proxy_headers
    if allow:
        assert config.forwarded_allow_ips == allow


def _start(tmp_path: Path, code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python as a deployment would, with only `env` configured (no `.env` file here)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "PREVIOUS_SECRET_KEYS", "DATABASE_URL", "ENVIRONMENT")
    }
    return subprocess.run(
        [sys.executable, *code],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), "DATABASE_URL": "postgresql+asyncpg://x@/y", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("code", [["-m", "app"], ["-c", "import app.asgi"]], ids=["serve", "asgi"])
def test_production_refuses_to_start_without_a_key(tmp_path: Path, code: list[str]) -> None:
    """Both entry points (`python -m app`, and `uvicorn app.asgi:app` as a process manager
    would start it) stop before serving. A short key is refused the same way
    (tests/test_config.py::test_a_short_secret_key_is_refused_everywhere)."""
    finished = _start(tmp_path, code, ENVIRONMENT="production")
    assert finished.returncode != 0
    assert "SECRET_KEY must be set when ENVIRONMENT=production" in finished.stderr
    assert "Inkwell API on" not in finished.stdout
