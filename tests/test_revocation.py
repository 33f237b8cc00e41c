"""Revocation that revokes: what ends a sign-in ends its access tokens on the very next request.

The caller is loaded on every request anyway; the same statement also checks the token's
sign-in (not revoked) and the account's session generation (not moved on), so none of this
adds a query (app.auth.repository).
"""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.tokens import create_access_token
from tests.helpers import (
    PASSWORD,
    admin_with_tokens,
    assert_problem,
    bearer,
    login,
    user_with_tokens,
)

ME = "/api/v1/users/me"
USERS = "/api/v1/users"


async def _me(client: httpx.AsyncClient, tokens: dict[str, Any]) -> int:
    return (await client.get(ME, headers=bearer(tokens))).status_code


async def test_logout_ends_that_sign_in_and_only_that_one(client: httpx.AsyncClient) -> None:
    user, here = await user_with_tokens(client)
    elsewhere = await login(client, user["email"])
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": here["refresh_token"]}
    )
    assert response.status_code == 204
    assert_problem(await client.get(ME, headers=bearer(here)), 401)
    assert await _me(client, elsewhere) == 200


async def test_a_password_change_ends_every_sign_in(client: httpx.AsyncClient) -> None:
    user, here = await user_with_tokens(client)
    elsewhere = await login(client, user["email"])
    change = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    response = await client.put(f"{ME}/password", json=change, headers=bearer(here))
    assert response.status_code == 204
    assert await _me(client, here) == 401
    assert await _me(client, elsewhere) == 401
    fresh = await login(client, user["email"], "a brand new passphrase")
    assert await _me(client, fresh) == 200


async def test_refresh_token_reuse_ends_the_sign_in_for_access_tokens_too(
    client: httpx.AsyncClient,
) -> None:
    _, first = await user_with_tokens(client)
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert await _me(client, second) == 200
    # The used token comes back (stolen): the whole chain is revoked, access tokens included.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert_problem(reused, 401)
    assert await _me(client, second) == 401
    assert await _me(client, first) == 401


async def test_deactivation_ends_every_sign_in(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, admin_tokens = await admin_with_tokens(client, db)
    user, tokens = await user_with_tokens(client)
    response = await client.patch(
        f"{USERS}/{user['id']}", json={"is_active": False}, headers=bearer(admin_tokens)
    )
    assert response.status_code == 200
    assert await _me(client, tokens) == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refresh, 401)


async def test_a_demoted_admin_loses_admin_rights_on_the_next_request(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, acting = await admin_with_tokens(client, db)
    other, other_tokens = await admin_with_tokens(client, db)
    assert (await client.get(USERS, headers=bearer(other_tokens))).status_code == 200
    response = await client.patch(
        f"{USERS}/{other['id']}", json={"role": "user"}, headers=bearer(acting)
    )
    assert response.status_code == 200
    assert_problem(await client.get(USERS, headers=bearer(other_tokens)), 403)


async def test_a_token_naming_a_sign_in_that_never_happened_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Even signed with the server's own key (a leaked key), a token must name a real sign-in
    of its user."""
    user, tokens = await user_with_tokens(client)
    forged = create_access_token(
        app.state.keys.tokens, uuid.UUID(user["id"]), uuid.uuid4(), 0, timedelta(minutes=5)
    )
    assert await _me(client, tokens) == 200
    assert_problem(await client.get(ME, headers={"Authorization": f"Bearer {forged}"}), 401)
