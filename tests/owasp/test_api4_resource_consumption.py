"""API4:2023 Unrestricted Resource Consumption.

What one client can make the server read, store, compute or send. In Inkwell: request bodies
are capped (`MAX_BODY_BYTES`, 413) and request targets too (8 KiB, 414); every string, integer
and array the contract accepts is bounded and the bound is enforced (422); pages hold at most
100 items; password hashing (argon2id, the one CPU-heavy step) runs only within the sign-in and
registration budgets; writes are rate limited per client; and no anonymous request makes the
server send more than 1 MB (issue 11, item 5).

Also covered elsewhere:
- tests/test_http_conventions.py::test_oversized_body_is_413_problem and
  ::test_oversized_chunked_body_is_413_problem (registration, anonymous).
- tests/test_hostile_input.py: a 3,000-character path (404 problem), request targets over
  8 KiB (414 problem, path, query value, many parameters), deeply nested JSON (400).
- tests/test_pagination.py::test_limit_out_of_bounds_is_422_on_every_list.
- tests/test_post_lists.py::test_a_page_of_the_largest_posts_stays_far_under_a_megabyte: 100
  posts of 100,000 escaped characters, listed as summaries (< 430 KB), one post < 603 KB.
- tests/test_rate_limits.py: writes per user and per address (429, `Retry-After`).
- tests/owasp/test_api2_broken_authentication.py::test_a_stolen_access_token_is_no_password_oracle:
  password changes stop hashing once the account's budget is spent.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.contract import CommentPage
from tests.helpers import (
    PASSWORD,
    POSTS,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    register,
    unique_email,
    user_with_tokens,
)
from tests.owasp.support import (
    ME,
    TOKEN,
    CountingPasswords,
    Operation,
    Scene,
    early_in_window,
    operations,
    resolve,
)

ONE_MB = 1_000_000


# --- bodies ----------------------------------------------------------------------------------


async def test_an_oversized_body_on_a_signed_in_write_is_refused_unread(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A signed-in user's create over `MAX_BODY_BYTES`, declared or streamed: 413, nothing
    stored."""
    user, tokens = await user_with_tokens(client)
    limit = app.state.settings.max_body_bytes
    body = b'{"title": "Huge", "body": "' + b"x" * limit + b'"}'
    headers = {**bearer(tokens), "Content-Type": "application/json"}

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    for content in (body, streamed()):
        response = await client.post(POSTS, content=content, headers=headers)
        assert str(limit) in assert_problem(response, 413)["detail"]
    mine = await client.get(
        f"/api/v1/users/{user['id']}/posts", params={"status": "all"}, headers=bearer(tokens)
    )
    assert mine.json()["items"] == []


def _too_big(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """Values just past a property's bounds, with the location suffix the 422 names."""
    schema = resolve(schema)
    if schema.get("type") == "string" and "maxLength" in schema:
        return [("", "a" * (schema["maxLength"] + 1))]
    if schema.get("type") == "array":
        items = resolve(schema["items"])
        cases: list[tuple[str, Any]] = []
        if "maxItems" in schema:
            cases.append(("", [f"t{n}" for n in range(schema["maxItems"] + 1)]))
        if "maxLength" in items:
            cases.append((".0", ["a" * (items["maxLength"] + 1)]))
        return cases
    return []


def test_every_string_and_array_of_the_contract_is_bounded() -> None:
    """What the server must store or echo has a bound in the contract (request and response
    schemas alike): a `maxLength` on every string, a `maxItems` on every array."""
    schemas = load_components()
    unbounded = []
    for name, schema in schemas.items():
        for prop, node in [(name, schema), *schema.get("properties", {}).items()]:
            node = resolve(node)
            bounded_by_format = node.get("format") in ("uuid", "date-time")
            if node.get("type") == "string" and not (
                "maxLength" in node or "enum" in node or bounded_by_format
            ):
                unbounded.append(f"{name}.{prop}")
            if node.get("type") == "array" and "maxItems" not in node:
                unbounded.append(f"{name}.{prop}")
    assert unbounded == []


def load_components() -> dict[str, dict[str, Any]]:
    return resolve({"$ref": "#/components/schemas"})


def _body_probes(op: Operation) -> list[tuple[str, str, Any]]:
    """(location, property, value) just past each bound of the operation's JSON body."""
    schema = op.json_body_schema() or {}
    return [
        (f"body.{name}{suffix}", name, value)
        for name, prop in schema.get("properties", {}).items()
        for suffix, value in _too_big(prop)
    ]


BOUNDED_BODIES = [op for op in operations() if _body_probes(op)]


@pytest.mark.parametrize("op", BOUNDED_BODIES, ids=lambda op: op.operation_id)
async def test_every_bounded_body_property_is_enforced(
    client: httpx.AsyncClient, scene: Scene, roomy: Settings, op: Operation
) -> None:
    """Each bounded property of each JSON body, one past its bound, in an otherwise valid
    request: 422 naming it, and the request had no effect."""
    for location, name, value in _body_probes(op):
        call = scene.call(op.operation_id)
        response = await call.send(client, json={**(call.json or {}), name: value})
        errors = assert_problem(response, 422)["errors"]
        assert {error["location"] for error in errors} == {location}, response.text
    assert (await client.get(ME, headers=bearer(scene.tokens))).json() == scene.user
    assert (await client.get(f"{POSTS}/{scene.post['id']}")).json() == scene.post


def _parameter_probes(op: Operation) -> list[tuple[str, str, Any]]:
    """(where, name, value) just past each bound of the operation's query and header
    parameters."""
    probes = []
    for parameter in op.parameters():
        where, schema = parameter["in"], resolve(parameter["schema"])
        if where not in ("query", "header"):
            continue
        if "maximum" in schema:
            probes.append((where, parameter["name"], schema["maximum"] + 1))
        if "minimum" in schema:
            probes.append((where, parameter["name"], schema["minimum"] - 1))
        if "maxLength" in schema:
            probes.append((where, parameter["name"], "a" * (schema["maxLength"] + 1)))
    return probes


BOUNDED_PARAMETERS = [op for op in operations() if _parameter_probes(op)]


@pytest.mark.parametrize("op", BOUNDED_PARAMETERS, ids=lambda op: op.operation_id)
async def test_every_bounded_parameter_is_enforced(
    client: httpx.AsyncClient, scene: Scene, roomy: Settings, op: Operation
) -> None:
    """`limit` past 100 (or under 1), `q` and `cursor` past their length, `If-Match`,
    `If-None-Match` and `Idempotency-Key` past theirs: 422 naming the parameter."""
    for where, name, value in _parameter_probes(op):
        call = scene.call(op.operation_id)
        if where == "query":
            response = await call.send(client, params={name: value})
        else:
            response = await call.send(client, headers={**call.headers, name: str(value)})
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [f"{where}.{name}"], response.text
    assert (await client.get(f"{POSTS}/{scene.post['id']}")).json() == scene.post


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/posts/{long}",
        "/api/v1/posts/{long}/comments",
        "/api/v1/posts/{post}/comments/{long}",
        "/api/v1/users/{long}",
        "/api/v1/users/{long}/posts",
    ],
)
async def test_a_long_id_in_a_signed_in_request_is_a_404_problem(
    client: httpx.AsyncClient, scene: Scene, template: str
) -> None:
    """tests/test_hostile_input.py sends long paths no route matches; here 3,000 characters
    stand where a route expects an id, with credentials, for every method the route has."""
    path = template.format(long="9" * 3000, post=scene.post["id"])
    for method in ("GET", "PATCH", "DELETE", "POST"):
        response = await client.request(
            method, path, headers={**bearer(scene.tokens), "If-Match": "*"}
        )
        assert response.status_code in (404, 405), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert path.startswith(response.json()["instance"])


# --- answers ---------------------------------------------------------------------------------

WIDE = "\x01"  # JSON escapes it to six bytes: the largest answer a bounded string allows


async def test_the_largest_comment_page_stays_under_a_megabyte(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    """The posts' lists are bounded by summaries (tests/test_post_lists.py); the comments
    list is the other anonymous list whose items carry free text: a page of the longest
    comments ends early (fewer than `limit` items, and a cursor) rather than pass 1 MB, and
    following the cursors still reads every comment."""
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    first = await create_comment(client, tokens, post["id"], WIDE * 5000)
    await db.execute(
        text(
            "INSERT INTO comments (id, post_id, author_id, body, created_at)"
            " SELECT gen_random_uuid(), post_id, author_id, body,"
            " created_at + make_interval(secs => n) FROM comments, generate_series(1, 99) AS n"
            " WHERE id = :id"
        ),
        {"id": first["id"]},
    )
    seen, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = await client.get(f"{POSTS}/{post['id']}/comments", params=params)
        assert page.status_code == 200, page.text
        assert len(page.content) < ONE_MB, len(page.content)
        body = CommentPage.model_validate_json(page.content)
        seen += len(body.items)
        if body.next_cursor is None:
            break
        assert 0 < len(body.items) < 100
        cursor = body.next_cursor
    assert seen == 100


# --- password hashing ------------------------------------------------------------------------


async def test_guessing_one_account_hashes_no_more_than_its_budget(
    client: httpx.AsyncClient, limits: Settings, password_checks: CountingPasswords
) -> None:
    user = await register(client)
    await early_in_window(limits.login_window_seconds)
    before = password_checks.verified
    statuses = [
        (
            await client.post(TOKEN, data={"username": user["email"], "password": f"g{n}"})
        ).status_code
        for n in range(25)
    ]
    assert statuses == [401] * 10 + [429] * 15
    assert password_checks.verified - before == limits.login_attempts_per_account == 10


async def test_spraying_unknown_accounts_hashes_no_more_than_the_address_budget(
    client: httpx.AsyncClient, limits: Settings, password_checks: CountingPasswords
) -> None:
    """An unknown email costs a real verification (so that it answers like a known one):
    spraying new names from one address is bounded by the address's budget."""
    limits.login_attempts_per_address = 5
    await early_in_window(limits.login_window_seconds)
    before = password_checks.verified
    statuses = [
        (
            await client.post(TOKEN, data={"username": unique_email(), "password": PASSWORD})
        ).status_code
        for _ in range(12)
    ]
    assert statuses == [401] * 5 + [429] * 7
    assert password_checks.verified - before == 5


async def test_registrations_hash_no_more_than_the_write_budget(
    client: httpx.AsyncClient, limits: Settings, password_checks: CountingPasswords
) -> None:
    limits.writes_per_minute = 3
    await early_in_window(60)
    before = password_checks.hashed
    statuses = []
    for _ in range(8):
        body = {"email": unique_email(), "password": uuid.uuid4().hex, "display_name": "Bot"}
        statuses.append((await client.post("/api/v1/auth/register", json=body)).status_code)
    assert statuses == [202] * 3 + [429] * 5
    assert password_checks.hashed - before == 3
