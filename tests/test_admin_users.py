"""User administration: listing accounts, roles and deactivation, deleting users and content."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.helpers import (
    PASSWORD,
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    login,
    make_admin,
    register,
    unique_email,
    user_with_tokens,
)

USERS = "/api/v1/users"


async def _admin(
    client: httpx.AsyncClient, db: AsyncConnection
) -> tuple[dict[str, Any], dict[str, str]]:
    admin, tokens = await admin_with_tokens(client, db)
    return admin, bearer(tokens)


async def _named_user(client: httpx.AsyncClient, email: str, display_name: str) -> dict[str, Any]:
    return await register(client, email, display_name=display_name)


async def _list(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    response = await client.get(USERS, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _patch(
    client: httpx.AsyncClient, user_id: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.patch(f"{USERS}/{user_id}", json=body, headers=headers)


async def test_list_users_is_for_admins(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    user, user_tokens = await user_with_tokens(client)
    admin, admin_headers = await _admin(client, db)
    assert_problem(await client.get(USERS), 401)
    assert_problem(await client.get(USERS, headers=bearer(user_tokens)), 403)
    listed = await _list(client, admin_headers)
    assert sorted(listed, key=lambda u: u["email"]) == sorted(
        [user, admin], key=lambda u: u["email"]
    )
    assert all("password_hash" not in item and "password" not in item for item in listed)


async def test_list_users_filters_by_role_and_status(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    admin, headers = await _admin(client, db)
    active, _ = await user_with_tokens(client)
    inactive, _ = await user_with_tokens(client)
    assert (await _patch(client, inactive["id"], {"is_active": False}, headers)).status_code == 200

    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {item["id"] for item in items}

    assert ids(await _list(client, headers, role="admin")) == {admin["id"]}
    assert ids(await _list(client, headers, role="user")) == {active["id"], inactive["id"]}
    assert ids(await _list(client, headers, is_active="false")) == {inactive["id"]}
    assert ids(await _list(client, headers, is_active="true")) == {admin["id"], active["id"]}
    assert ids(await _list(client, headers, role="user", is_active="true")) == {active["id"]}


async def test_list_users_searches_email_and_name_case_insensitively(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    marker = uuid.uuid4().hex[:8]
    by_email = await _named_user(client, f"Grace.{marker}@Example.com", "G. Hopper")
    by_name = await _named_user(client, unique_email(), f"Ada {marker.upper()} Lovelace")
    percent = await _named_user(client, unique_email(), "100% real")
    underscore = await _named_user(client, unique_email(), "snake_case")

    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {item["id"] for item in items}

    assert ids(await _list(client, headers, q=marker.upper())) == {by_email["id"], by_name["id"]}
    assert ids(await _list(client, headers, q="GRACE.")) == {by_email["id"]}
    assert ids(await _list(client, headers, q="lovelace")) == {by_name["id"]}
    # LIKE wildcards are matched literally.
    assert ids(await _list(client, headers, q="%")) == {percent["id"]}
    assert ids(await _list(client, headers, q="e_c")) == {underscore["id"]}
    assert await _list(client, headers, q="no-such-person") == []


async def test_list_users_sorts_by_creation(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    admin, headers = await _admin(client, db)
    first, _ = await user_with_tokens(client)
    second, _ = await user_with_tokens(client)
    # One test's rows share the transaction's timestamp: date them explicitly.
    for minutes, user in ((1, admin), (2, first), (3, second)):
        await db.execute(
            text(
                "UPDATE users SET created_at = "
                "timestamptz '2026-01-01 00:00Z' + make_interval(mins => :m) WHERE id = :id"
            ),
            {"m": minutes, "id": user["id"]},
        )
    newest = [second["id"], first["id"], admin["id"]]
    assert [u["id"] for u in await _list(client, headers)] == newest
    assert [u["id"] for u in await _list(client, headers, sort="newest")] == newest
    assert [u["id"] for u in await _list(client, headers, sort="oldest")] == newest[::-1]


INVALID_LIST_PARAMETERS: list[tuple[dict[str, str], str]] = [
    ({"role": "superuser"}, "query.role"),
    ({"is_active": "maybe"}, "query.is_active"),
    ({"q": ""}, "query.q"),
    ({"q": "x" * 101}, "query.q"),
    ({"sort": "alphabetical"}, "query.sort"),
]


async def test_list_users_rejects_invalid_parameters(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    for params, location in INVALID_LIST_PARAMETERS:
        response = await client.get(USERS, params=params, headers=headers)
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [location], params


async def test_admin_changes_role_and_status(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    user, user_tokens = await user_with_tokens(client)
    promoted = await _patch(client, user["id"], {"role": "admin"}, headers)
    assert promoted.status_code == 200
    assert promoted.json() == {**user, "role": "admin"}
    # The new admin's existing token carries the new role from its next request on.
    assert (await client.get(USERS, headers=bearer(user_tokens))).status_code == 200
    demoted = await _patch(client, user["id"], {"role": "user", "is_active": False}, headers)
    assert demoted.json() == {**user, "role": "user", "is_active": False}
    unchanged = await _patch(client, user["id"], {}, headers)
    assert unchanged.json() == demoted.json()
    reactivated = await _patch(client, user["id"], {"is_active": True}, headers)
    assert reactivated.json() == user
    await login(client, user["email"])


async def test_update_user_is_for_admins(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    other, _ = await user_with_tokens(client)
    for target in (user, other):
        assert_problem(await _patch(client, target["id"], {"role": "admin"}, bearer(tokens)), 403)
        assert_problem(await _patch(client, target["id"], {"role": "admin"}, {}), 401)
    me = await client.get(f"{USERS}/me", headers=bearer(tokens))
    assert me.json()["role"] == "user"


INVALID_UPDATES: list[tuple[dict[str, Any], str]] = [
    ({"role": "owner"}, "body.role"),
    ({"role": None}, "body.role"),
    ({"is_active": "sometimes"}, "body.is_active"),
    ({"is_active": None}, "body.is_active"),
    ({"email": "new@example.com"}, "body.email"),
    ({"display_name": "Renamed"}, "body.display_name"),
]


async def test_update_user_names_the_invalid_field(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    user, _ = await user_with_tokens(client)
    for body, location in INVALID_UPDATES:
        response = await _patch(client, user["id"], body, headers)
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [location], body
    assert (await client.get(f"{USERS}/{user['id']}", headers=headers)).json() == user


async def test_update_or_delete_an_unknown_user_is_404(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    unknown = str(uuid.uuid4())
    assert_problem(await _patch(client, unknown, {"is_active": False}, headers), 404)
    assert_problem(await client.delete(f"{USERS}/{unknown}", headers=headers), 404)
    assert_problem(await _patch(client, "not-a-uuid", {"is_active": False}, headers), 404)


@pytest.mark.parametrize("others", [0, 1])
@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
async def test_an_admin_cannot_lock_themself_out(
    client: httpx.AsyncClient, db: AsyncConnection, change: dict[str, Any], others: int
) -> None:
    admin, headers = await _admin(client, db)
    for _ in range(others):
        await _admin(client, db)
    assert_problem(await _patch(client, admin["id"], change, headers), 409)
    assert_problem(await client.delete(f"{USERS}/{admin['id']}", headers=headers), 409)
    me = await client.get(f"{USERS}/me", headers=headers)
    assert me.json() == admin


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
async def test_an_admin_may_demote_or_deactivate_another_admin(
    client: httpx.AsyncClient, db: AsyncConnection, change: dict[str, Any]
) -> None:
    _, headers = await _admin(client, db)
    other, other_headers = await _admin(client, db)
    response = await _patch(client, other["id"], change, headers)
    assert response.status_code == 200
    assert response.json() == {**other, **change}
    expected = 403 if "role" in change else 401
    assert_problem(await client.get(USERS, headers=other_headers), expected)


async def test_a_deactivated_admin_may_be_demoted_and_deleted(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    dormant, _ = await _admin(client, db)
    assert (await _patch(client, dormant["id"], {"is_active": False}, headers)).status_code == 200
    inactive_admins = await _list(client, headers, role="admin", is_active="false")
    assert [u["id"] for u in inactive_admins] == [dormant["id"]]
    assert (await _patch(client, dormant["id"], {"role": "user"}, headers)).status_code == 200
    assert (await client.delete(f"{USERS}/{dormant['id']}", headers=headers)).status_code == 204
    assert await _list(client, headers, role="user") == []


async def test_deactivation_locks_the_user_out(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    user, tokens = await user_with_tokens(client)
    assert (await client.get(f"{USERS}/me", headers=bearer(tokens))).status_code == 200
    assert (await _patch(client, user["id"], {"is_active": False}, headers)).status_code == 200

    assert_problem(await client.get(f"{USERS}/me", headers=bearer(tokens)), 401)
    write = await client.post(POSTS, json={"title": "t", "body": "b"}, headers=bearer(tokens))
    assert_problem(write, 401)
    assert_problem(await client.get(f"{USERS}/{user['id']}/posts", headers=bearer(tokens)), 401)
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refresh, 401)
    attempt = await client.post(
        "/api/v1/auth/token", data={"username": user["email"], "password": PASSWORD}
    )
    assert_problem(attempt, 401)

    # Reactivated, they log in again; the refresh tokens revoked by deactivation stay revoked.
    assert (await _patch(client, user["id"], {"is_active": True}, headers)).status_code == 200
    fresh = await login(client, user["email"])
    assert (await client.get(f"{USERS}/me", headers=bearer(fresh))).status_code == 200
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refresh, 401)


async def test_a_deactivated_users_posts_stay_public(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    user, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    assert (await _patch(client, user["id"], {"is_active": False}, headers)).status_code == 200
    assert (await client.get(f"{POSTS}/{post['id']}")).json() == post


async def test_deleting_a_user_removes_them_and_everything_they_wrote(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, headers = await _admin(client, db)
    doomed, doomed_tokens = await user_with_tokens(client)
    other, other_tokens = await user_with_tokens(client)
    own_post = await create_post(client, doomed_tokens, publish=True)
    own_draft = await create_post(client, doomed_tokens)
    await create_comment(client, other_tokens, own_post["id"], "on the doomed post")
    others_post = await create_post(client, other_tokens, publish=True)
    await create_comment(client, doomed_tokens, others_post["id"], "doomed 1")
    await create_comment(client, other_tokens, others_post["id"], "survivor")
    await create_comment(client, doomed_tokens, others_post["id"], "doomed 2")
    second_post = await create_post(client, other_tokens, publish=True)
    await create_comment(client, doomed_tokens, second_post["id"], "doomed 3")

    response = await client.delete(f"{USERS}/{doomed['id']}", headers=headers)
    assert response.status_code == 204
    assert response.content == b""

    assert_problem(await client.get(f"{USERS}/{doomed['id']}", headers=headers), 404)
    assert_problem(await client.get(f"{USERS}/{doomed['id']}/posts"), 404)
    for post_id in (own_post["id"], own_draft["id"]):
        assert_problem(await client.get(f"{POSTS}/{post_id}", headers=headers), 404)
    remaining = {p["id"] for p in (await client.get(POSTS)).json()["items"]}
    assert remaining == {others_post["id"], second_post["id"]}
    post = (await client.get(f"{POSTS}/{others_post['id']}")).json()
    assert post["comment_count"] == 1
    comments = (await client.get(f"{POSTS}/{others_post['id']}/comments")).json()["items"]
    assert [c["body"] for c in comments] == ["survivor"]
    assert (await client.get(f"{POSTS}/{second_post['id']}")).json()["comment_count"] == 0
    assert_problem(await client.get(f"{USERS}/me", headers=bearer(doomed_tokens)), 401)
    attempt = await client.post(
        "/api/v1/auth/token", data={"username": doomed["email"], "password": PASSWORD}
    )
    assert_problem(attempt, 401)
    assert other["id"] in {u["id"] for u in await _list(client, headers)}


async def test_delete_user_is_for_admins(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    other, _ = await user_with_tokens(client)
    assert_problem(await client.delete(f"{USERS}/{other['id']}", headers=bearer(tokens)), 403)
    assert_problem(await client.delete(f"{USERS}/{user['id']}", headers=bearer(tokens)), 403)
    assert_problem(await client.delete(f"{USERS}/{other['id']}"), 401)
    assert (await client.get(f"{USERS}/me", headers=bearer(tokens))).status_code == 200


async def test_an_admin_may_delete_another_admin(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    first, first_headers = await _admin(client, db)
    second, second_headers = await _admin(client, db)
    assert (
        await client.delete(f"{USERS}/{second['id']}", headers=first_headers)
    ).status_code == 204
    assert_problem(await client.get(f"{USERS}/me", headers=second_headers), 401)
    assert [u["id"] for u in await _list(client, first_headers)] == [first["id"]]


@pytest.mark.parametrize("action", ["demote", "deactivate", "delete"])
async def test_two_admins_removing_each_other_at_once_leave_one_admin(
    app: FastAPI, committed_db: AsyncEngine, action: str
) -> None:
    """Neither request sees itself as the last admin; the lock on admin rows must decide."""
    async with httpx.AsyncClient(base_url=app.state.base_url) as client:
        first, first_tokens = await user_with_tokens(client)
        second, second_tokens = await user_with_tokens(client)
        async with committed_db.begin() as connection:
            for user in (first, second):
                await make_admin(connection, user["id"])

        async def remove(target: dict[str, Any], tokens: dict[str, Any]) -> httpx.Response:
            if action == "delete":
                return await client.delete(f"{USERS}/{target['id']}", headers=bearer(tokens))
            change = {"role": "user"} if action == "demote" else {"is_active": False}
            return await _patch(client, target["id"], change, bearer(tokens))

        responses = await asyncio.gather(remove(second, first_tokens), remove(first, second_tokens))
        codes = sorted(response.status_code for response in responses)
        assert codes[0] in (200, 204)
        # The loser either waited for the winner's lock (409) or was already no admin (401/403).
        assert codes[1] in (401, 403, 409), responses
        async with committed_db.connect() as connection:
            admins = await connection.scalar(
                text("SELECT count(*) FROM users WHERE role = 'admin' AND is_active")
            )
        assert admins == 1
