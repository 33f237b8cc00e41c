import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from jose import jwt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.tokens import create_access_token
from tests.helpers import (
    PASSWORD,
    admin_with_tokens,
    assert_problem,
    bearer,
    login,
    make_admin,
    user_with_tokens,
)

ME = "/api/v1/users/me"


async def test_me_returns_the_token_owner(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    response = await client.get(ME, headers=bearer(tokens))
    assert response.status_code == 200
    assert response.json() == user


async def test_me_requires_a_valid_access_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    keys = app.state.keys.tokens
    expired = create_access_token(
        keys, uuid.UUID(user["id"]), uuid.uuid4(), 0, timedelta(seconds=-5)
    )
    unsigned = jwt.encode({"sub": user["id"], "type": "access"}, "", algorithm="HS256")
    tampered = tokens["access_token"][:-3] + (
        "AAA" if tokens["access_token"][-3:] != "AAA" else "BBB"
    )
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {tokens['access_token']}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {unsigned}"},
        {"Authorization": f"Bearer {tampered}"},
        {"Authorization": f"Bearer {tokens['refresh_token']}"},
    ):
        response = await client.get(ME, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_deactivated_users_are_refused_from_the_next_request(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user, tokens = await user_with_tokens(client)
    assert (await client.get(ME, headers=bearer(tokens))).status_code == 200
    await db.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user["id"]})
    assert_problem(await client.get(ME, headers=bearer(tokens)), 401)


async def test_update_me_changes_the_display_name_only(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    response = await client.patch(ME, json={"display_name": "Renamed"}, headers=bearer(tokens))
    assert response.status_code == 200
    assert response.json() == {**user, "display_name": "Renamed"}
    unchanged = await client.patch(ME, json={}, headers=bearer(tokens))
    assert unchanged.json()["display_name"] == "Renamed"


async def test_update_me_rejects_invalid_and_unknown_fields(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    for body, location in (
        ({"display_name": ""}, "body.display_name"),
        ({"display_name": "x" * 101}, "body.display_name"),
        ({"role": "admin"}, "body.role"),
    ):
        response = await client.patch(ME, json=body, headers=bearer(tokens))
        assert assert_problem(response, 422)["errors"][0]["location"] == location
    assert_problem(await client.patch(ME, json={"display_name": "x"}), 401)


async def test_change_password_replaces_it_and_revokes_sessions(
    client: httpx.AsyncClient,
) -> None:
    user, tokens = await user_with_tokens(client)
    response = await client.put(
        f"{ME}/password",
        json={"current_password": PASSWORD, "new_password": "a brand new phrase"},
        headers=bearer(tokens),
    )
    assert response.status_code == 204
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refreshed, 401)
    old = await client.post(
        "/api/v1/auth/token", data={"username": user["email"], "password": PASSWORD}
    )
    assert_problem(old, 401)
    await login(client, user["email"], "a brand new phrase")


async def test_change_password_checks_current_and_new(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    wrong_current = {"current_password": "wrong-one", "new_password": "long enough"}
    response = await client.put(f"{ME}/password", json=wrong_current, headers=bearer(tokens))
    assert assert_problem(response, 403)["detail"] == "The current password is not correct."
    cases = (
        ({"current_password": PASSWORD, "new_password": user["email"]}, "body.new_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, "body.new_password"),
    )
    for body, location in cases:
        response = await client.put(f"{ME}/password", json=body, headers=bearer(tokens))
        assert assert_problem(response, 422)["errors"][0]["location"] == location
    unauthenticated = await client.put(f"{ME}/password", json=wrong_current)
    assert_problem(unauthenticated, 401)


async def test_get_user_is_visible_to_self_and_admins_only(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    bob, bob_tokens = await user_with_tokens(client)
    own = await client.get(f"/api/v1/users/{alice['id']}", headers=bearer(alice_tokens))
    assert own.json() == alice
    assert_problem(
        await client.get(f"/api/v1/users/{alice['id']}", headers=bearer(bob_tokens)), 404
    )
    await make_admin(db, bob["id"])
    as_admin = await client.get(f"/api/v1/users/{alice['id']}", headers=bearer(bob_tokens))
    assert as_admin.json() == alice


async def test_get_user_errors(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    admin, tokens = await admin_with_tokens(client, db)
    missing = await client.get(f"/api/v1/users/{uuid.uuid4()}", headers=bearer(tokens))
    assert_problem(missing, 404)
    malformed = await client.get("/api/v1/users/not-a-uuid", headers=bearer(tokens))
    assert_problem(malformed, 404)
    assert_problem(await client.get(f"/api/v1/users/{admin['id']}"), 401)
