"""Signed-in callers for the benchmark, registered and logged in through the server's HTTP API."""

import asyncio
import json
import secrets
import urllib.parse
import urllib.request
from dataclasses import dataclass

from app.db.scratch import execute
from tests.benchmarks.loads import send_json

PASSWORD = "benchmark password"  # a throwaway account on a scratch database


@dataclass(frozen=True)
class Caller:
    user: dict[str, object]  # the User document of GET /users/me, for the ceiling
    token: str  # an access token


def _register(base_url: str, email: str) -> None:
    document = {"email": email, "password": PASSWORD, "display_name": f"Bench {email[:12]}"}
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/register",
        json.dumps(document).encode(),
        {"Content-Type": "application/json"},
    )
    send_json(request, expected=202)


def _log_in(base_url: str, email: str) -> str:
    form = urllib.parse.urlencode({"username": email, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/token", form)  # form-encoded
    pair = send_json(request)
    assert isinstance(pair, dict)
    return str(pair["access_token"])


def _me(base_url: str, token: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    user = send_json(urllib.request.Request(f"{base_url}/api/v1/users/me", headers=headers))
    assert isinstance(user, dict)
    return user


async def _verify_all(database_url: str) -> None:
    """As if each owner had followed their verification link: they publish and comment."""
    await execute(database_url, "UPDATE users SET email_verified = true")


def sign_up(base_url: str, database_url: str, count: int) -> list[Caller]:
    """`count` new, verified users, each logged in once."""
    emails = [f"bench-{secrets.token_hex(6)}@example.com" for _ in range(count)]
    for email in emails:
        _register(base_url, email)
    asyncio.run(_verify_all(database_url))
    tokens = [_log_in(base_url, email) for email in emails]
    return [Caller(_me(base_url, token), token) for token in tokens]
