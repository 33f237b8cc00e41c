"""API3:2023 Broken Object Property Level Authorization.

Two halves: what a client may *write* (mass assignment) and what it may *read* (excessive data
exposure). In Inkwell every JSON request body is a contract schema with
`additionalProperties: false` (`UserCreate`, `ProfileUpdate`, `PostCreate`, ...), so a property
the server owns (`role`, `is_active`, `id`, `author_id`, `comment_count`, `status`,
`created_at`, ...) is a 422 naming it, never silently applied. Answers carry the contract's
read schemas only: no `password_hash` anywhere, and posts and comments name their author by
`id` and `display_name` alone, never by email.

Also covered elsewhere:
- tests/test_posts.py::test_create_names_the_invalid_field (`status`, `author_id`, `slug`,
  `comment_count` on createPost) and ::test_update_names_the_invalid_field_and_changes_nothing.
- tests/test_users.py::test_update_me_rejects_invalid_and_unknown_fields (`role`).
- tests/test_auth.py::test_register_names_the_invalid_field (`role`).
- tests/test_admin_users.py::test_update_user_names_the_invalid_field (`email`, `display_name`)
  and ::test_list_users_is_for_admins (no password fields in the admin list).
- tests/test_post_representation.py: every served post is the contract model's serialization.
"""

from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.helpers import (
    PASSWORD,
    POSTS,
    assert_problem,
    bearer,
    login,
    register,
    unique_email,
)
from tests.owasp.support import ME, TOKEN, Scene, operations, resolve

# Properties a client must never set: every read schema's server-owned fields, and the names of
# columns behind them that an attacker would guess.
PRIVILEGED = (
    "id",
    "role",
    "is_active",
    "email_verified",
    "email",
    "password_hash",
    "session_generation",
    "author",
    "author_id",
    "user_id",
    "post_id",
    "status",
    "slug",
    "comment_count",
    "created_at",
    "updated_at",
    "published_at",
)
JSON_BODIES = [op for op in operations() if op.json_body_schema() is not None]


def test_every_json_request_body_refuses_unknown_properties() -> None:
    """The contract half: each JSON body is a closed object (FastAPI's models are generated
    from it, app/contract, so the server refuses what the schema does not name)."""
    open_bodies = [
        op.operation_id
        for op in JSON_BODIES
        if (schema := op.json_body_schema() or {}).get("additionalProperties") is not False
        or schema.get("type") != "object"
    ]
    assert open_bodies == []
    assert {op.operation_id for op in JSON_BODIES} >= {"registerUser", "createPost", "updateUser"}


@pytest.mark.parametrize("op", JSON_BODIES, ids=lambda op: op.operation_id)
async def test_server_owned_properties_cannot_be_mass_assigned(
    client: httpx.AsyncClient, scene: Scene, roomy: Settings, op: Any
) -> None:
    """For every JSON body of the contract and every privileged property it does not name:
    the otherwise valid request is a 422 naming exactly that property, and nothing changed."""
    own = set(op.json_body_schema()["properties"])
    probes = [name for name in PRIVILEGED if name not in own]
    assert probes
    for name in probes:
        call = scene.call(op.operation_id)
        assert call.json is not None
        value = {"role": "admin", "is_active": True, "comment_count": 10**6}.get(name, "x")
        response = await call.send(client, json={**call.json, name: value})
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [f"body.{name}"], (name, response.text)

    me = (await client.get(ME, headers=bearer(scene.tokens))).json()
    assert me == scene.user
    post = (await client.get(f"{POSTS}/{scene.post['id']}")).json()
    assert post == scene.post


async def test_sign_in_form_fields_cannot_raise_privileges(client: httpx.AsyncClient) -> None:
    """The OAuth2 form tolerates extra fields (clients send `client_id`), but they are read
    by nobody: the token is the account's, with the account's role."""
    registered = await register(client)
    form = {
        "username": registered["email"],
        "password": PASSWORD,
        "role": "admin",
        "scope": "admin users:write",
        "sub": "00000000-0000-0000-0000-000000000000",
        "is_active": "true",
    }
    response = await client.post(TOKEN, data=form)
    assert response.status_code == 200, response.text
    me = (await client.get(ME, headers=bearer(response.json()))).json()
    assert me == registered
    assert me["role"] == "user"
    assert_problem(await client.get("/api/v1/users", headers=bearer(response.json())), 403)


# --- what answers expose ---------------------------------------------------------------------


def _authors(node: Any) -> list[dict[str, Any]]:
    """Every `author` object anywhere in a JSON document."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("author"), dict):
            found.append(node["author"])
        for value in node.values():
            found.extend(_authors(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_authors(value))
    return found


async def test_public_answers_name_authors_by_id_and_display_name_only(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    """Every answer about posts and comments, to anyone: the author is `{id, display_name}`,
    and no email (the author's or anyone's) or password material appears in the text."""
    commenter_tokens = await login(client, scene.other["email"])
    created = await client.post(
        f"{POSTS}/{scene.post['id']}/comments",
        json={"body": "Agreed."},
        headers=bearer(commenter_tokens),
    )
    assert created.status_code == 201
    post_url = f"{POSTS}/{scene.post['id']}"
    answers = [
        created,
        await client.get(POSTS),
        await client.get(POSTS, params={"author_id": scene.user["id"]}),
        await client.get(f"/api/v1/users/{scene.user['id']}/posts"),
        await client.get(post_url),
        await client.get(f"{post_url}/comments"),
        await client.get(post_url, headers=bearer(commenter_tokens)),
        await client.get(f"{post_url}/comments", headers=bearer(scene.admin_tokens)),
    ]
    authors = []
    for response in answers:
        assert response.status_code in (200, 201), response.text
        authors.extend(_authors(response.json()))
        for secret in ("password", "$argon2", scene.user["email"], scene.other["email"]):
            assert secret not in response.text, (secret, response.request.url)
    assert authors
    assert all(set(author) == {"id", "display_name"} for author in authors)
    assert {author["id"] for author in authors} == {scene.user["id"], scene.other["id"]}


async def test_account_answers_carry_the_contracts_user_fields_only(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    """`User` is what a person may see of an account (their own, or any for an admin): its
    fields and no others, in every operation that answers one."""
    fields = set(resolve({"$ref": "#/components/schemas/User"})["properties"])
    users = "/api/v1/users"
    answers = [
        await client.get(ME, headers=bearer(scene.tokens)),
        await client.patch(ME, json={"display_name": "Renamed"}, headers=bearer(scene.tokens)),
        await client.get(f"{users}/{scene.user['id']}", headers=bearer(scene.tokens)),
        await client.get(f"{users}/{scene.other['id']}", headers=bearer(scene.admin_tokens)),
        await client.patch(
            f"{users}/{scene.other['id']}",
            json={"is_active": True},
            headers=bearer(scene.admin_tokens),
        ),
    ]
    listed = await client.get(users, params={"limit": 100}, headers=bearer(scene.admin_tokens))
    accounts = [response.json() for response in answers] + listed.json()["items"]
    assert len(accounts) >= 8
    for account in accounts:
        assert set(account) == fields, account
    assert "$argon2" not in "".join(r.text for r in [*answers, listed])


async def test_a_refused_password_is_never_echoed(client: httpx.AsyncClient) -> None:
    """Validation problems name the field and the rule, not the value: a mistyped or
    over-long password does not end up in the answer (or a log that stores answers)."""
    secret = "hunter2-" + "s" * 130
    for url, body in (
        ("/api/v1/auth/register", {"email": unique_email(), "password": secret}),
        ("/api/v1/auth/register", {"email": secret, "password": secret, "display_name": "x"}),
    ):
        response = await client.post(url, json=body)
        assert_problem(response, 422)
        assert "hunter2" not in response.text
    token = await client.post(TOKEN, data={"username": "x@example.com", "password": secret})
    assert_problem(token, 422)
    assert "hunter2" not in token.text
