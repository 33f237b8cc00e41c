"""API5:2023 Broken Function Level Authorization.

Which *operations* a caller may use at all, whatever the object. In Inkwell: the contract says
which operations need a signed-in caller (the default `security`), which are public
(`security: []`) or optionally signed in, and which are for admins (`listUsers`, `updateUser`,
`deleteUser`, "(admin)" in their summaries). Anonymous callers of a signed-in operation get 401,
signed-in users of an admin operation 403, before anything is looked up or changed. The role
lives in the account row, read on every request, never in the token: a demoted or deactivated
admin loses the rights on their next request.

Also covered elsewhere:
- tests/test_admin_users.py::test_list_users_is_for_admins, ::test_update_user_is_for_admins,
  ::test_delete_user_is_for_admins (each admin operation, 401 and 403).
- tests/test_revocation.py::test_a_demoted_admin_loses_admin_rights_on_the_next_request and
  tests/test_admin_users.py::test_an_admin_may_demote_or_deactivate_another_admin (listUsers).
"""

import httpx
import pytest
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.helpers import admin_with_tokens, assert_problem, bearer
from tests.owasp.support import Operation, Scene, described_operations, operations, random_id

SIGNED_IN = [op for op in operations() if op.requires_credentials]
FOR_ADMINS = [op for op in operations() if op.for_admins]


def test_the_probes_know_every_operation_of_the_contract() -> None:
    """The sweeps below use one valid request per operation (tests/owasp/support.py); a new
    operation in the contract must be described there before it ships."""
    assert described_operations() == {op.operation_id for op in operations()}
    assert {op.operation_id for op in FOR_ADMINS} == {
        "listUsers",
        "updateUser",
        "deleteUser",
        "sendPasswordReset",
    }
    public = {op.operation_id for op in operations() if not op.requires_credentials}
    assert public == {
        "getLiveness",
        "getReadiness",
        "registerUser",
        "requestPasswordReset",
        "resetPassword",
        "verifyEmail",
        "issueToken",
        "refreshToken",
        "logout",
        "listUserPosts",
        "listPosts",
        "getPost",
        "listComments",
    }


@pytest.mark.parametrize("op", SIGNED_IN, ids=lambda op: op.operation_id)
async def test_signed_in_operations_refuse_anonymous_callers(
    client: httpx.AsyncClient, scene: Scene, op: Operation
) -> None:
    """The request the scene's user or admin would be granted, without its `Authorization`:
    401 with `WWW-Authenticate: Bearer`, and the objects it named are untouched."""
    call = scene.call(op.operation_id)
    headers = {k: v for k, v in call.headers.items() if k != "Authorization"}
    response = await call.send(client, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    await _nothing_changed(client, scene)


@pytest.mark.parametrize("op", FOR_ADMINS, ids=lambda op: op.operation_id)
async def test_admin_operations_refuse_users_whoever_they_target(
    client: httpx.AsyncClient, scene: Scene, op: Operation
) -> None:
    """403 for an ordinary user, aimed at another user, at the admin, at themself and at an
    id that does not exist (no 404: the function is refused before any lookup)."""
    call = scene.call(op.operation_id)
    for target in (scene.other["id"], scene.admin["id"], scene.user["id"], random_id()):
        path = call.path.replace(scene.other["id"], target)
        response = await client.request(
            call.method, path, json=call.json, headers=bearer(scene.tokens)
        )
        assert_problem(response, 403)
    await _nothing_changed(client, scene)


async def _nothing_changed(client: httpx.AsyncClient, scene: Scene) -> None:
    listed = await client.get(
        "/api/v1/users", params={"limit": 100}, headers=bearer(scene.admin_tokens)
    )
    accounts = {user["id"]: user for user in listed.json()["items"]}
    assert accounts[scene.user["id"]] == scene.user
    assert accounts[scene.other["id"]] == scene.other
    post = await client.get(f"/api/v1/posts/{scene.post['id']}")
    assert post.json() == scene.post


async def test_a_token_carries_no_role(scene: Scene) -> None:
    """Nothing in the token says what the caller may do: rights come from the account row,
    read on every request, so a role cannot be forged into a token or outlive a demotion."""
    claims = jwt.get_unverified_claims(scene.admin_tokens["access_token"])
    assert not {"role", "roles", "scope", "scopes", "admin", "is_admin"} & set(claims)


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
async def test_a_demoted_or_deactivated_admin_loses_every_admin_operation_at_once(
    client: httpx.AsyncClient, db: AsyncConnection, scene: Scene, change: dict[str, object]
) -> None:
    """The other admin's token has just been used (its verification is remembered); after
    the change, each admin operation refuses it on the next request: 403 once demoted, 401
    once deactivated (the account may no longer act at all)."""
    other_admin, other_tokens = await admin_with_tokens(client, db)
    headers = bearer(other_tokens)
    assert (await client.get("/api/v1/users", headers=headers)).status_code == 200

    response = await client.patch(
        f"/api/v1/users/{other_admin['id']}", json=change, headers=bearer(scene.admin_tokens)
    )
    assert response.status_code == 200, response.text

    expected = 403 if "role" in change else 401
    for op in FOR_ADMINS:
        call = scene.call(op.operation_id)
        assert_problem(await call.send(client, headers=headers), expected)
    await _nothing_changed(client, scene)


async def test_method_override_headers_do_not_reach_other_functions(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    """A user who may `POST` cannot smuggle an admin `DELETE` or `PATCH` through the
    override headers some frameworks honour: the method sent is the method served."""
    target = f"/api/v1/users/{scene.other['id']}"
    for header in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"):
        for method in ("DELETE", "PATCH"):
            response = await client.post(
                target, headers={**bearer(scene.tokens), header: method}, json={"role": "admin"}
            )
            assert_problem(response, 405)
    await _nothing_changed(client, scene)
