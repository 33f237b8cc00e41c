"""Trusted proxies: X-Forwarded-For names the client only when the socket peer is a proxy
listed in FORWARDED_ALLOW_IPS; otherwise the peer is the client, whatever the header says.

Seen through the login limit per client address, on servers started as in production
(contracts_tests.live_server passes uvicorn the same proxy options as `python -m app`).
"""

import uuid

import httpx

from contracts_tests.live_server import live_server

LOGIN = "/api/v1/auth/token"
PER_ADDRESS = 2


def _wrong_login(http: httpx.Client, forwarded_for: str) -> int:
    """A wrong password for a new account name each time: only the address budget is shared."""
    form = {"username": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong pass"}
    response = http.post(LOGIN, data=form, headers={"X-Forwarded-For": forwarded_for})
    return response.status_code


def _statuses(extra_env: dict[str, str]) -> tuple[list[int], int]:
    """Three wrong logins 'from' 203.0.113.1, then one 'from' 203.0.113.2."""
    env = {"LOGIN_ATTEMPTS_PER_ADDRESS": str(PER_ADDRESS), **extra_env}
    with live_server(extra_env=env) as (base_url, _), httpx.Client(base_url=base_url) as http:
        first = [_wrong_login(http, "203.0.113.1") for _ in range(PER_ADDRESS + 1)]
        return first, _wrong_login(http, "203.0.113.2")


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget() -> None:
    first, other = _statuses({"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    assert first == [401, 401, 429]
    assert other == 401


def test_without_trusted_proxies_the_forwarded_address_is_ignored() -> None:
    first, other = _statuses({"FORWARDED_ALLOW_IPS": ""})
    assert first == [401, 401, 429]
    assert other == 429  # the same socket peer: the same budget
