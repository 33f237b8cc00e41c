"""Rate limits on writes and logins: headers on every counted request, 429 once a quota is spent.

The limits are read from the cached settings on every request, so a test lowers them on that
instance and the fixture restores them. Counters are committed outside the test's transaction;
the fixture clears them before and after, so no test inherits or leaves a spent quota.
"""

import asyncio
import re
import time
from typing import Any

import httpx

from app.config import Settings
from tests.helpers import (
    PASSWORD,
    POSTS,
    assert_problem,
    bearer,
    create_post,
    register,
    unique_email,
    user_with_tokens,
)

TOKEN = "/api/v1/auth/token"
PASSWORD_PATH = "/api/v1/users/me/password"


async def _early_in_window(seconds: int) -> None:
    """Windows are fixed: start a burst early enough in one that it cannot straddle two."""
    left = seconds - time.time() % seconds
    if left < 3:
        await asyncio.sleep(left + 0.05)


def _items(header: str) -> dict[str, dict[str, int]]:
    """A RateLimit(-Policy) field: one `"name";key=value;...` item per policy, comma-separated."""
    items = {}
    for item in header.split(","):
        name, *params = item.strip().split(";")
        assert re.fullmatch(r'"[a-z-]+"', name), header
        items[name.strip('"')] = {key: int(value) for key, value in (p.split("=") for p in params)}
    return items


def _remaining(response: httpx.Response, policy: str) -> int:
    state = _items(response.headers["ratelimit"])[policy]
    assert set(state) == {"r", "t"}
    return state["r"]


def _assert_limited(response: httpx.Response, policy: str, quota: int, window: int) -> None:
    assert_problem(response, 429)
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert _items(response.headers["ratelimit-policy"])[policy] == {"q": quota, "w": window}
    assert _items(response.headers["ratelimit"])[policy] == {"r": 0, "t": retry_after}


async def _login(
    client: httpx.AsyncClient, email: str, password: str, **form: str
) -> httpx.Response:
    return await client.post(TOKEN, data={"username": email, "password": password, **form})


async def _write(client: httpx.AsyncClient, tokens: dict[str, Any], n: int) -> httpx.Response:
    return await client.post(
        POSTS, json={"title": f"Post {n}", "body": "Words."}, headers=bearer(tokens)
    )


async def test_writes_beyond_the_quota_are_429(client: httpx.AsyncClient, limits: Settings) -> None:
    user, tokens = await user_with_tokens(client)
    limits.writes_per_minute = 3
    await _early_in_window(60)
    remaining = []
    for n in range(3):
        response = await _write(client, tokens, n)
        assert response.status_code == 201
        assert response.headers["ratelimit-policy"] == '"writes";q=3;w=60'
        remaining.append(_remaining(response, "writes"))
    assert remaining == [2, 1, 0]

    limited = await _write(client, tokens, 3)
    _assert_limited(limited, "writes", 3, 60)
    listed = await client.get(
        f"/api/v1/users/{user['id']}/posts", params={"status": "all"}, headers=bearer(tokens)
    )
    assert len(listed.json()["items"]) == 3
    # Reads are not counted.
    assert (await client.get(POSTS)).status_code == 200
    assert "ratelimit" not in (await client.get(POSTS)).headers


async def test_every_kind_of_write_counts_even_when_it_fails(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    _, tokens = await user_with_tokens(client)
    await _early_in_window(60)
    post = await create_post(client, tokens, publish=True)
    limits.writes_per_minute = 5
    url = f"{POSTS}/{post['id']}"
    writes = [
        client.patch(url, json={"title": "t"}, headers={**bearer(tokens), "If-Match": "*"}),
        client.post(f"{url}/publish", headers=bearer(tokens)),  # 409, still counted
        client.post(f"{url}/comments", json={"body": "b"}, headers=bearer(tokens)),
        client.post(f"{url}/unpublish", headers=bearer(tokens)),
    ]
    statuses = []
    for write in writes:
        response = await write
        statuses.append((response.status_code, _remaining(response, "writes")))
    # Creating and publishing the post already used two of the five.
    assert statuses == [(200, 2), (409, 1), (201, 0), (429, 0)]
    deleted = await client.delete(url, headers={**bearer(tokens), "If-Match": "*"})
    _assert_limited(deleted, "writes", 5, 60)
    assert (await client.get(url, headers=bearer(tokens))).json()["status"] == "published"


async def test_the_write_quota_is_per_user(client: httpx.AsyncClient, limits: Settings) -> None:
    _, tokens = await user_with_tokens(client)
    _, other_tokens = await user_with_tokens(client)
    limits.writes_per_minute = 1
    await _early_in_window(60)
    assert (await _write(client, tokens, 1)).status_code == 201
    _assert_limited(await _write(client, tokens, 2), "writes", 1, 60)
    response = await _write(client, other_tokens, 1)
    assert response.status_code == 201
    assert _remaining(response, "writes") == 0


async def test_registrations_are_limited_per_address(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    limits.writes_per_minute = 2
    await _early_in_window(60)
    await register(client)
    await register(client)
    email = unique_email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Third"},
    )
    _assert_limited(response, "writes", 2, 60)
    assert (await _login(client, email, PASSWORD)).status_code == 401


async def test_failed_logins_lock_unknown_devices_out_even_with_the_right_password(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    user = await register(client)
    other = await register(client)
    limits.login_attempts_per_account = 3
    await _early_in_window(limits.login_window_seconds)
    for _ in range(3):
        assert_problem(await _login(client, user["email"], "wrong password"), 401)
    window = limits.login_window_seconds
    _assert_limited(await _login(client, user["email"], PASSWORD), "guesses-account", 3, window)
    # The account is the email, whatever its case; other accounts are unaffected.
    upper = await _login(client, user["email"].upper(), PASSWORD)
    _assert_limited(upper, "guesses-account", 3, window)
    assert (await _login(client, other["email"], PASSWORD)).status_code == 200


async def test_a_device_that_signed_in_before_is_not_locked_out_by_guesses_from_elsewhere(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    """OWASP's device cookies: the attacker spends the account's budget, not the device's."""
    user = await register(client)
    await _early_in_window(limits.login_window_seconds)
    device = (await _login(client, user["email"], PASSWORD)).json()["device_token"]
    # Ten wrong guesses (the defaults: 10 per account, 50 per address, per 5 minutes).
    guesses = [await _login(client, user["email"], "attacker's guess") for _ in range(10)]
    assert {response.status_code for response in guesses} == {401, 429}
    stranger = await _login(client, user["email"], PASSWORD)
    _assert_limited(stranger, "guesses-account", 10, 300)
    known = await _login(client, user["email"], PASSWORD, device_token=device)
    assert known.status_code == 200, known.text
    assert known.json()["device_token"] == device  # the same device, recognised


async def test_a_device_token_of_another_account_buys_nothing(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    user, other = await register(client), await register(client)
    limits.login_attempts_per_account = 2
    await _early_in_window(limits.login_window_seconds)
    foreign = (await _login(client, other["email"], PASSWORD)).json()["device_token"]
    for _ in range(2):
        assert_problem(await _login(client, user["email"], "guess", device_token=foreign), 401)
    limited = await _login(client, user["email"], PASSWORD, device_token=foreign)
    _assert_limited(limited, "guesses-account", 2, limits.login_window_seconds)


async def test_password_changes_draw_on_the_same_guessing_budget(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    """A stolen access token is no guessing oracle: wrong current passwords count against the
    account, and so does every login attempt without a device token."""
    limits.login_attempts_per_account = 4
    await _early_in_window(limits.login_window_seconds)
    user, tokens = await user_with_tokens(client)  # the sign-in is the first of 4 attempts
    change = {"current_password": "guess", "new_password": "another long password"}
    for _ in range(2):
        response = await client.put(PASSWORD_PATH, json=change, headers=bearer(tokens))
        assert_problem(response, 403)
    assert_problem(await _login(client, user["email"], "guess"), 401)
    limited = await client.put(PASSWORD_PATH, json=change, headers=bearer(tokens))
    _assert_limited(limited, "guesses-account", 4, limits.login_window_seconds)
    _assert_limited(await _login(client, user["email"], PASSWORD), "guesses-account", 4, 300)


async def test_logins_are_limited_per_address_across_accounts(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    user = await register(client)
    limits.login_attempts_per_address = 3
    await _early_in_window(limits.login_window_seconds)
    for _ in range(3):
        assert_problem(await _login(client, unique_email(), "guessing"), 401)
    limited = await _login(client, user["email"], PASSWORD)
    _assert_limited(limited, "login-address", 3, limits.login_window_seconds)


async def test_a_shorter_login_window_is_announced(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    user = await register(client)
    limits.login_attempts_per_account = 1
    limits.login_window_seconds = 30
    await _early_in_window(30)
    assert_problem(await _login(client, user["email"], "wrong password"), 401)
    limited = await _login(client, user["email"], PASSWORD)
    _assert_limited(limited, "guesses-account", 1, 30)
