"""Signed-in callers for the benchmark, registered and logged in through the server's HTTP API."""

import json
import secrets
import urllib.parse
import urllib.request
from dataclasses import dataclass

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
    send_json(request, expected=201)


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


def sign_up(base_url: str, count: int) -> list[Caller]:
    """`count` new users, each logged in once."""
    callers = []
    for _ in range(count):
        email = f"bench-{secrets.token_hex(6)}@example.com"
        _register(base_url, email)
        token = _log_in(base_url, email)
        callers.append(Caller(_me(base_url, token), token))
    return callers
