"""API2:2023 Broken Authentication.

Inkwell authenticates with HS256 access tokens (app/auth/tokens.py, keys from app/keys.py),
opaque rotating refresh tokens, and passwords checked by sign-in (`issueToken`) and password
change (`changePassword`). An attacker forges or replays tokens, signs with a key that was once
published, keeps using a token after the sign-in ended, guesses passwords, locks the owner out,
or tells accounts apart by the answers. All of it must fail with a 401 (or 429) problem, never
a 500 and never access.

Also covered elsewhere:
- tests/test_tokens.py: the decoder below HTTP (rotation, `kid`, claim ranges, hypothesis).
- tests/test_users.py::test_me_requires_a_valid_access_token (missing, Basic, expired,
  unsigned, tampered signature, refresh token as bearer: 401 with `WWW-Authenticate`).
- tests/test_revocation.py: logout, password change, refresh-token reuse, deactivation and
  demotion end access tokens on the next request.
- tests/test_rate_limits.py: 429 with `Retry-After` and RateLimit headers per account, per
  address and per device; password change on the same budget; a foreign device token.
- tests/test_auth.py::test_token_answers_unknown_email_and_wrong_password_alike and
  ::test_register_rejects_taken_email_regardless_of_case.
- tests/test_keys.py, tests/test_config.py: no key in code; a key is required outside
  development.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.tokens import device_token
from app.config import Settings
from app.db.pagination import encode_cursor
from app.keys import CURSORS, DEVICES, TOKENS, Keyring, keyring
from contracts_tests.live_server import live_server
from tests.helpers import (
    PASSWORD,
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_post,
    login,
    register,
    unique_email,
    user_with_tokens,
)
from tests.owasp.support import (
    DEVELOPMENT_KEY,
    ME,
    ROOT,
    TOKEN,
    CountingPasswords,
    early_in_window,
    same_problem,
    wait_for_a_fresh_window,
)

# --- forged access tokens --------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT as an attacker builds it: any header, any claims (`Infinity` included), signed
    with HMAC-SHA256 (or SHA-512 when the header says HS512), or not at all."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return f"{signing_input}."
    digest = hashlib.sha512 if header.get("alg") == "HS512" else hashlib.sha256
    signature = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


# A forger gets the server's token keys, the admin's real claims and an ordinary user's real
# token, and returns a token claiming to be the admin.
Forger = Callable[[Keyring, dict[str, Any], str], str]
NOW = int(time.time())


def _real_key(**changes: Any) -> Forger:
    """The server's own key signs the admin's claims with `changes`: what only a leak of the
    key allows. Claims out of range must still be refused, not crash the server."""

    def forge(keys: Keyring, claims: dict[str, Any], _: str) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": keys.signing.kid}
        return _jwt(header, {**claims, "jti": uuid.uuid4().hex, **changes}, keys.signing.secret)

    return forge


def _with_key(secret: bytes, kid: str | None) -> Forger:
    def forge(keys: Keyring, claims: dict[str, Any], _: str) -> str:
        header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
        return _jwt(header, claims, secret)

    return forge


def _real_key_without_kid(keys: Keyring, claims: dict[str, Any], _: str) -> str:
    return _jwt({"alg": "HS256", "typ": "JWT"}, claims, keys.signing.secret)


def _server_kid(secret: bytes) -> Forger:
    def forge(keys: Keyring, claims: dict[str, Any], _: str) -> str:
        return _jwt({"alg": "HS256", "typ": "JWT", "kid": keys.signing.kid}, claims, secret)

    return forge


def _header(**header: Any) -> Forger:
    """The server's key and kid, under another algorithm in the header."""

    def forge(keys: Keyring, claims: dict[str, Any], _: str) -> str:
        full = {"typ": "JWT", "kid": keys.signing.kid, **header}
        secret = None if header["alg"].lower() == "none" else keys.signing.secret
        return _jwt(full, claims, secret)

    return forge


def _tampered_payload(keys: Keyring, claims: dict[str, Any], user_token: str) -> str:
    """The user's genuine token with its payload swapped for the admin's claims."""
    header, _, signature = user_token.split(".")
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _old_development_token(keys: Keyring, claims: dict[str, Any], _: str) -> str:
    """What the server signed before issue 11: the constant itself as the HS256 key, no kid."""
    now = int(time.time())
    old = {"sub": claims["sub"], "type": "access", "iat": now, "exp": now + 900}
    return _jwt({"alg": "HS256", "typ": "JWT"}, old, DEVELOPMENT_KEY.encode())


DEVELOPMENT = keyring([DEVELOPMENT_KEY], TOKENS)  # as a server with SECRET_KEY=<constant> would
FORGERIES: dict[str, tuple[Forger, int]] = {
    "control: the real key, sane claims": (_real_key(), 200),
    "alg none": (_header(alg="none"), 401),
    "alg None": (_header(alg="None"), 401),
    "alg NONE": (_header(alg="NONE"), 401),
    "other algorithm HS512": (_header(alg="HS512"), 401),
    "RS256 header, HMAC with the key": (_header(alg="RS256"), 401),
    "unknown key, server kid": (_server_kid(b"k" * 48), 401),
    "tampered payload": (_tampered_payload, 401),
    "expired": (_real_key(iat=NOW - 1000, exp=NOW - 100), 401),
    "wrong type": (_real_key(type="refresh"), 401),
    "no type": (_real_key(type=None), 401),
    "no kid": (_real_key_without_kid, 401),
    "exp 1e300": (_real_key(exp=1e300), 401),
    "iat 1e300": (_real_key(iat=1e300), 401),
    "exp Infinity": (_real_key(exp=float("inf")), 401),
    "exp NaN": (_real_key(exp=float("nan")), 401),
    "exp 2**70": (_real_key(exp=2**70), 401),
    "exp in ten years": (_real_key(exp=NOW + 10 * 365 * 86400), 401),
    "gen 2**63": (_real_key(gen=2**63), 401),
    "sub not a uuid": (_real_key(sub="1 OR 1=1"), 401),
    "development key as the HS256 key": (_old_development_token, 401),
    "development key, server kid": (_server_kid(DEVELOPMENT_KEY.encode()), 401),
    "development key, derived as app.keys would": (
        _with_key(DEVELOPMENT.signing.secret, DEVELOPMENT.signing.kid),
        401,
    ),
}


@pytest.mark.parametrize(("forge", "expected"), FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_forged_admin_token_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncConnection,
    forge: Forger,
    expected: int,
) -> None:
    """Refused alike by a signed-in operation and by a public read (a bad token is never read
    as anonymous), with `WWW-Authenticate: Bearer`; the control proves the forger's tokens
    are otherwise exactly what the server accepts."""
    admin, admin_tokens = await admin_with_tokens(client, db)
    _, user_tokens = await user_with_tokens(client)
    claims = jwt.get_unverified_claims(admin_tokens["access_token"])
    token = forge(app.state.keys.tokens, claims, user_tokens["access_token"])
    headers = {"Authorization": f"Bearer {token}"}

    me = await client.get(ME, headers=headers)
    public = await client.get(POSTS, headers=headers)
    if expected == 200:
        assert me.status_code == public.status_code == 200, me.text
        assert me.json()["id"] == admin["id"]
        return
    for response in (me, public):
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert admin["email"] not in response.text


def test_the_development_key_is_nowhere_in_the_code_or_the_configuration() -> None:
    files = [
        *(ROOT / "app").rglob("*.py"),
        *(ROOT / "openapi").glob("*.yaml"),
        ROOT / "README.md",
        ROOT / "pyproject.toml",
        *ROOT.glob(".env*"),
    ]
    assert [str(path) for path in files if DEVELOPMENT_KEY in path.read_text("utf-8")] == []
    unset = Settings(environment="development", secret_key=None)
    assert unset.secret_key is None


async def test_the_development_key_signs_no_cursor_and_no_device(
    app: FastAPI, client: httpx.AsyncClient, limits: Settings
) -> None:
    """The same key under the derivations for cursors and device tokens buys nothing either:
    a forged cursor is 400, a forged device token does not unlock a spent sign-in budget."""
    scope = "posts|newest|None|None|None"  # app/posts/router.py: listPosts' list identity
    key = (datetime.now(UTC), uuid.uuid4())
    genuine = encode_cursor(app.state.keys.cursors, scope, key)
    forged = encode_cursor(keyring([DEVELOPMENT_KEY], CURSORS), scope, key)
    assert (await client.get(POSTS, params={"cursor": genuine})).status_code == 200
    assert_problem(await client.get(POSTS, params={"cursor": forged}), 400)

    user = await register(client)
    limits.login_attempts_per_account = 3
    await early_in_window(limits.login_window_seconds)
    genuine_device = (await login(client, user["email"]))["device_token"]
    for _ in range(2):
        wrong = await client.post(TOKEN, data={"username": user["email"], "password": "guess"})
        assert_problem(wrong, 401)

    def sign_in(device: str) -> dict[str, str]:
        return {"username": user["email"], "password": PASSWORD, "device_token": device}

    forged_device = device_token(keyring([DEVELOPMENT_KEY], DEVICES), user["email"])
    assert_problem(await client.post(TOKEN, data=sign_in(forged_device)), 429)
    assert (await client.post(TOKEN, data=sign_in(genuine_device))).status_code == 200


# --- revocation ------------------------------------------------------------------------------


async def _revoke(
    how: str, client: httpx.AsyncClient, db: AsyncConnection, user: dict[str, Any], tokens: Any
) -> None:
    match how:
        case "logout":
            response = await client.post(
                "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
            )
        case "password change":
            change = {"current_password": PASSWORD, "new_password": "an entirely new phrase"}
            response = await client.put(f"{ME}/password", json=change, headers=bearer(tokens))
        case "refresh-token reuse":
            refresh = {"refresh_token": tokens["refresh_token"]}
            assert (await client.post("/api/v1/auth/refresh", json=refresh)).status_code == 200
            response = await client.post("/api/v1/auth/refresh", json=refresh)  # the thief's
            assert_problem(response, 401)
            return
        case _:
            _, admin = await admin_with_tokens(client, db)
            response = await client.patch(
                f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=bearer(admin)
            )
    assert response.status_code in (200, 204), response.text


@pytest.mark.parametrize(
    "how", ["logout", "password change", "refresh-token reuse", "deactivation"]
)
async def test_an_access_token_in_use_dies_with_its_sign_in_on_every_path(
    client: httpx.AsyncClient, db: AsyncConnection, how: str
) -> None:
    """tests/test_revocation.py checks `GET /users/me` with tokens fresh from sign-in. Here the
    token has been used (so its verification is remembered, app.auth.tokens) and is then
    tried where each kind of caller lookup happens: a signed-in read, a write (which counts
    against the write budget in the same statement) and a public read."""
    user, tokens = await user_with_tokens(client)
    headers = bearer(tokens)
    assert (await client.get(ME, headers=headers)).status_code == 200
    assert (await client.get(POSTS, headers=headers)).status_code == 200
    post = await create_post(client, tokens, publish=True)

    await _revoke(how, client, db, user, tokens)

    attempts = [
        await client.get(ME, headers=headers),
        await client.post(POSTS, json={"title": "After", "body": "x"}, headers=headers),
        await client.get(POSTS, headers=headers),
        await client.get(f"{POSTS}/{post['id']}", headers=headers),
    ]
    for response in attempts:
        assert_problem(response, 401)


# --- guessing and lockout ----------------------------------------------------------------------


def test_guesses_from_many_addresses_do_not_lock_the_owner_out_of_a_known_device() -> None:
    """Issue 11, item 4: ten wrong sign-ins from ten addresses, then the right password. From
    a fresh address without the device token: 429. From the device that signed in before
    (its `device_token`), even on yet another address: 200.

    The in-process test server is not started as `python -m app` starts one (tests/conftest.py
    leaves uvicorn's proxy defaults), so this runs a server as it would run behind a proxy on
    127.0.0.1 (FORWARDED_ALLOW_IPS, as tests/test_proxies.py does), each request naming its
    client in `X-Forwarded-For`."""
    window = 3600  # long, so that the burst cannot straddle two windows
    env = {"FORWARDED_ALLOW_IPS": "127.0.0.1", "LOGIN_WINDOW_SECONDS": str(window)}
    with live_server(extra_env=env) as (base_url, _), httpx.Client(base_url=base_url) as http:

        def sign_in(address: str, password: str, **form: str) -> httpx.Response:
            return http.post(
                TOKEN,
                data={"username": email, "password": password, **form},
                headers={"X-Forwarded-For": address},
            )

        email = unique_email("owner")
        registered = http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Owner"},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert registered.status_code == 202, registered.text
        time.sleep(wait_for_a_fresh_window(window, margin=30))
        device = sign_in("198.51.100.7", PASSWORD).json()["device_token"]  # 1 of 10

        guesses = [sign_in(f"203.0.113.{n}", "attacker's guess").status_code for n in range(10)]
        assert guesses == [401] * 9 + [429]

        stranger = sign_in("203.0.113.200", PASSWORD)
        assert_problem(stranger, 429)
        assert 1 <= int(stranger.headers["retry-after"]) <= window

        travelling = sign_in("192.0.2.44", PASSWORD, device_token=device)
        assert travelling.status_code == 200, travelling.text
        assert travelling.json()["device_token"] == device
        assert sign_in("198.51.100.7", PASSWORD, device_token=device).status_code == 200


async def test_a_stolen_access_token_is_no_password_oracle(
    client: httpx.AsyncClient, limits: Settings, password_checks: CountingPasswords
) -> None:
    """Issue 11, item 3: 30 guesses at the current password through `changePassword`. Only
    the account's budget is checked (403), the rest are 429 without a hash computed, the right
    password is then 429 as well, and the owner still signs in from their device."""
    await early_in_window(limits.login_window_seconds)
    user = await register(client)
    device_sign_in = await login(client, user["email"])  # 1 of the account's 10
    device = device_sign_in["device_token"]
    stolen = bearer(await login(client, user["email"]))  # 2 of 10
    checked_before = password_checks.verified

    guess = {"current_password": "guess", "new_password": "attacker's new password"}
    answers = [await client.put(f"{ME}/password", json=guess, headers=stolen) for _ in range(30)]
    assert [r.status_code for r in answers] == [403] * 8 + [429] * 22
    for response in answers[8:]:
        assert_problem(response, 429)
        assert int(response.headers["retry-after"]) >= 1
    assert password_checks.verified - checked_before == 8

    right = {"current_password": PASSWORD, "new_password": "attacker's new password"}
    assert_problem(await client.put(f"{ME}/password", json=right, headers=stolen), 429)
    assert password_checks.verified - checked_before == 8

    anywhere = await client.post(TOKEN, data={"username": user["email"], "password": PASSWORD})
    assert_problem(anywhere, 429)
    owner = await client.post(
        TOKEN, data={"username": user["email"], "password": PASSWORD, "device_token": device}
    )
    assert owner.status_code == 200, owner.text


async def test_failed_sign_ins_cannot_tell_accounts_apart(
    client: httpx.AsyncClient, db: AsyncConnection, password_checks: CountingPasswords
) -> None:
    """A wrong password, an unknown email and a deactivated account's right password answer
    the same 401, and each costs one password verification (the unknown email too), so
    neither the answer nor the work done tells which accounts exist."""
    user = await register(client)
    dormant = await register(client)
    _, admin = await admin_with_tokens(client, db)
    deactivated = await client.patch(
        f"/api/v1/users/{dormant['id']}", json={"is_active": False}, headers=bearer(admin)
    )
    assert deactivated.status_code == 200

    answers, costs = [], []
    for username, password in (
        (user["email"], "not the password"),
        (unique_email("nobody"), PASSWORD),
        (dormant["email"], PASSWORD),
    ):
        before = password_checks.verified
        answers.append(await client.post(TOKEN, data={"username": username, "password": password}))
        costs.append(password_checks.verified - before)
    for response in answers:
        assert_problem(response, 401)
    assert same_problem(answers[0], answers[1])
    assert same_problem(answers[0], answers[2])
    assert costs == [1, 1, 1]


async def test_emails_equal_under_unicode_case_folding_are_one_account(
    client: httpx.AsyncClient,
) -> None:
    """Registration and sign-in compare emails case-folded (`ß` is `ss`, `İ` is `i̇`): no
    second account under a look-alike address (registering one answers as any registration
    does, and mails the owner), and the owner signs in with any spelling."""
    marker = uuid.uuid4().hex[:8]
    owner = await register(client, f"strasse-{marker}@example.com")
    for email in (f"STRASSE-{marker}@EXAMPLE.COM", f"straße-{marker}@example.com"):
        twin = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Twin"},
        )
        assert twin.status_code == 202
        signed_in = await login(client, email)
        me = await client.get(ME, headers=bearer(signed_in))
        assert me.json()["id"] == owner["id"]

    dotted = await register(client, f"İ-{marker}@example.com")
    for email in (f"i̇-{marker}@example.com", f"İ-{marker}@EXAMPLE.com"):
        me = await client.get(ME, headers=bearer(await login(client, email)))
        assert me.json()["id"] == dotted["id"]


async def test_an_email_that_case_folding_lengthens_beyond_its_bound(
    client: httpx.AsyncClient,
) -> None:
    """Issue 11, item 5: 240 times `İ` + `@x.test` fits the contract's 254 characters but folds
    to 487. Registration refuses it (422, no account that could never sign in) and a sign-in
    with it is an ordinary 401, not a 500."""
    email = "İ" * 240 + "@x.test"
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Long"},
    )
    errors = assert_problem(response, 422)["errors"]
    assert [error["location"] for error in errors] == ["body.email"]
    for username in (email, "İ" * 254):
        assert_problem(await client.post(TOKEN, data={"username": username, "password": "x"}), 401)
