"""`Idempotency-Key` on the two creates: replays, mismatches, scoping, expiry and races."""

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.helpers import (
    POSTS,
    assert_problem,
    bearer,
    create_post,
    user_with_tokens,
)

KEY_LOCATION = "header.Idempotency-Key"


async def _create(
    client: httpx.AsyncClient, tokens: dict[str, Any], key: str | None, **fields: Any
) -> httpx.Response:
    headers = {**bearer(tokens), **({"Idempotency-Key": key} if key is not None else {})}
    body = {"title": "Once only", "body": "Exactly once.", **fields}
    return await client.post(POSTS, json=body, headers=headers)


async def _comment(
    client: httpx.AsyncClient, tokens: dict[str, Any], post_id: str, key: str, body: str = "Hi"
) -> httpx.Response:
    return await client.post(
        f"{POSTS}/{post_id}/comments",
        json={"body": body},
        headers={**bearer(tokens), "Idempotency-Key": key},
    )


async def _post_ids(client: httpx.AsyncClient, user_id: str, tokens: dict[str, Any]) -> list[str]:
    response = await client.get(
        f"/api/v1/users/{user_id}/posts",
        params={"status": "all", "limit": 100},
        headers=bearer(tokens),
    )
    assert response.status_code == 200, response.text
    return [post["id"] for post in response.json()["items"]]


def _same_answer(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers.get("etag") == first.headers.get("etag")


async def test_a_retried_create_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    first = await _create(client, tokens, "create-1", tags=["b", "a"])
    again = await _create(client, tokens, "create-1", tags=["b", "a"])
    _same_answer(first, again)
    assert "etag" in first.headers
    assert await _post_ids(client, user["id"], tokens) == [first.json()["id"]]


async def test_the_replay_is_the_first_answer_even_after_an_edit(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    first = await _create(client, tokens, "edit-later")
    edited = await client.patch(
        first.headers["location"],
        json={"title": "Edited"},
        headers={**bearer(tokens), "If-Match": first.headers["etag"]},
    )
    assert edited.status_code == 200
    _same_answer(first, await _create(client, tokens, "edit-later"))


async def test_the_same_key_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    first = await _create(client, tokens, "reused")
    for fields in ({"title": "Something else"}, {"tags": ["new"]}, {"body": "Exactly once!"}):
        response = await _create(client, tokens, "reused", **fields)
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [KEY_LOCATION]
    assert await _post_ids(client, user["id"], tokens) == [first.json()["id"]]


async def test_a_key_used_for_a_post_does_not_create_a_comment(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    assert (await _create(client, tokens, "one-key")).status_code == 201
    response = await _comment(client, tokens, post["id"], "one-key")
    assert [e["location"] for e in assert_problem(response, 422)["errors"]] == [KEY_LOCATION]
    comments = await client.get(f"{POSTS}/{post['id']}/comments")
    assert comments.json()["items"] == []


async def test_keys_are_scoped_to_the_caller(client: httpx.AsyncClient) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    bob, bob_tokens = await user_with_tokens(client)
    for_alice = await _create(client, alice_tokens, "shared-key")
    for_bob = await _create(client, bob_tokens, "shared-key")
    assert for_alice.status_code == for_bob.status_code == 201
    assert for_alice.json()["id"] != for_bob.json()["id"]
    assert for_bob.json()["author"]["id"] == bob["id"]
    assert await _post_ids(client, alice["id"], alice_tokens) == [for_alice.json()["id"]]
    assert await _post_ids(client, bob["id"], bob_tokens) == [for_bob.json()["id"]]
    # Bob's key does not collide with Alice's even with a different body.
    assert (await _create(client, bob_tokens, "other", title="Bob's")).status_code == 201
    assert (await _create(client, alice_tokens, "other", title="Alice's")).status_code == 201


async def test_without_a_key_every_request_creates(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    first = await _create(client, tokens, None)
    second = await _create(client, tokens, None)
    assert first.json()["id"] != second.json()["id"]
    assert len(await _post_ids(client, user["id"], tokens)) == 2


async def test_a_retried_comment_is_created_once(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    first = await _comment(client, reader_tokens, post["id"], "comment-1", "Only once")
    again = await _comment(client, reader_tokens, post["id"], "comment-1", "Only once")
    _same_answer(first, again)
    other = await _comment(client, reader_tokens, post["id"], "comment-1", "Changed my mind")
    assert [e["location"] for e in assert_problem(other, 422)["errors"]] == [KEY_LOCATION]
    comments = (await client.get(f"{POSTS}/{post['id']}/comments")).json()["items"]
    assert [comment["id"] for comment in comments] == [first.json()["id"]]
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["comment_count"] == 1


async def test_a_failed_create_does_not_use_up_its_key(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    draft = await create_post(client, tokens)
    assert_problem(await _comment(client, tokens, draft["id"], "early"), 409)
    published = await client.post(f"{POSTS}/{draft['id']}/publish", headers=bearer(tokens))
    assert published.status_code == 200
    first = await _comment(client, tokens, draft["id"], "early")
    assert first.status_code == 201
    _same_answer(first, await _comment(client, tokens, draft["id"], "early"))


async def test_a_key_expires_after_24_hours(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    user, tokens = await user_with_tokens(client)
    first = await _create(client, tokens, "yesterday")
    await db.execute(
        text("UPDATE idempotency_keys SET created_at = created_at - interval '25 hours'")
    )
    fresh = await _create(client, tokens, "yesterday", title="A new day")
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first.json()["id"]
    assert len(await _post_ids(client, user["id"], tokens)) == 2


async def test_an_invalid_key_is_422(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    for key in ("", "has space", "tab\tinside", "x" * 256):
        errors = assert_problem(await _create(client, tokens, key), 422)["errors"]
        assert [error["location"] for error in errors] == [KEY_LOCATION], key
    assert await _post_ids(client, user["id"], tokens) == []


async def test_the_longest_and_oddest_valid_keys_work(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    for key in ("k" * 255, "!~{}[]\"'`", "550e8400-e29b-41d4-a716-446655440000"):
        first = await _create(client, tokens, key, title=key[:50])
        _same_answer(first, await _create(client, tokens, key, title=key[:50]))


async def test_concurrent_retries_create_one_post(app: FastAPI, committed_db: AsyncEngine) -> None:
    async with httpx.AsyncClient(base_url=app.state.base_url) as client:
        user, tokens = await user_with_tokens(client)
        responses = await asyncio.gather(*(_create(client, tokens, "race") for _ in range(20)))
        assert [response.status_code for response in responses] == [201] * 20, [
            response.text for response in responses if response.status_code != 201
        ]
        assert len({response.json()["id"] for response in responses}) == 1
        assert len({response.headers["location"] for response in responses}) == 1
        assert await _post_ids(client, user["id"], tokens) == [responses[0].json()["id"]]


async def test_concurrent_retried_comments_create_one_comment(
    app: FastAPI, committed_db: AsyncEngine
) -> None:
    async with httpx.AsyncClient(base_url=app.state.base_url) as client:
        _, tokens = await user_with_tokens(client)
        post = await create_post(client, tokens, publish=True)
        responses = await asyncio.gather(
            *(_comment(client, tokens, post["id"], "race", "Once") for _ in range(20))
        )
        assert [response.status_code for response in responses] == [201] * 20
        assert len({response.json()["id"] for response in responses}) == 1
        assert (await client.get(f"{POSTS}/{post['id']}")).json()["comment_count"] == 1
        comments = (await client.get(f"{POSTS}/{post['id']}/comments")).json()["items"]
        assert [comment["id"] for comment in comments] == [responses[0].json()["id"]]
