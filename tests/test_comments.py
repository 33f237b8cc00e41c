"""Comments: who may comment, read and delete, and the post's comment count."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.helpers import (
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    user_with_tokens,
)


def _comments_url(post_id: str, comment_id: str | None = None) -> str:
    url = f"{POSTS}/{post_id}/comments"
    return f"{url}/{comment_id}" if comment_id else url


async def _comment_count(client: httpx.AsyncClient, post_id: str, tokens: dict[str, Any]) -> int:
    response = await client.get(f"{POSTS}/{post_id}", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    count: int = response.json()["comment_count"]
    return count


async def _listed(
    client: httpx.AsyncClient, post_id: str, headers: dict[str, str] | None = None
) -> list[str]:
    response = await client.get(_comments_url(post_id), params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["body"] for item in response.json()["items"]]


async def test_comment_on_a_published_post(client: httpx.AsyncClient) -> None:
    _, author_tokens = await user_with_tokens(client)
    reader, reader_tokens = await user_with_tokens(client)
    post = await create_post(client, author_tokens, publish=True)
    response = await client.post(
        _comments_url(post["id"]), json={"body": "A fine summary."}, headers=bearer(reader_tokens)
    )
    assert response.status_code == 201
    comment = response.json()
    assert response.headers["location"] == _comments_url(post["id"], comment["id"])
    assert comment["post_id"] == post["id"]
    assert comment["body"] == "A fine summary."
    assert comment["author"] == {"id": reader["id"], "display_name": reader["display_name"]}
    listed = await client.get(_comments_url(post["id"]))
    assert listed.json() == {"items": [comment], "next_cursor": None}


INVALID_COMMENTS: list[tuple[dict[str, Any], str]] = [
    ({}, "body.body"),
    ({"body": ""}, "body.body"),
    ({"body": "x" * 5001}, "body.body"),
    ({"body": "nul\x00"}, "body.body"),
    ({"body": 5}, "body.body"),
    ({"body": "ok", "post_id": str(uuid.uuid4())}, "body.post_id"),
    ({"body": "ok", "author_id": str(uuid.uuid4())}, "body.author_id"),
]


async def test_comment_names_the_invalid_field(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    for body, location in INVALID_COMMENTS:
        response = await client.post(_comments_url(post["id"]), json=body, headers=bearer(tokens))
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [location], body
    assert await _comment_count(client, post["id"], tokens) == 0


async def test_comment_may_be_5000_characters(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    assert (await create_comment(client, tokens, post["id"], "x" * 5000))["body"] == "x" * 5000


async def test_comment_on_a_draft_is_409_for_those_who_see_it(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    draft = await create_post(client, tokens)
    for who in (tokens, admin_tokens):
        response = await client.post(
            _comments_url(draft["id"]), json={"body": "Early!"}, headers=bearer(who)
        )
        assert_problem(response, 409)
    assert await _comment_count(client, draft["id"], tokens) == 0


async def test_comment_on_an_invisible_or_unknown_post_is_404(client: httpx.AsyncClient) -> None:
    _, author_tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    draft = await create_post(client, author_tokens)
    for post_id in (draft["id"], str(uuid.uuid4())):
        response = await client.post(
            _comments_url(post_id), json={"body": "Hello?"}, headers=bearer(reader_tokens)
        )
        assert_problem(response, 404)


async def test_comment_requires_authentication(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    response = await client.post(_comments_url(post["id"]), json={"body": "Anonymous"})
    assert_problem(response, 401)
    assert await _listed(client, post["id"]) == []


async def test_comment_count_goes_up_and_down(client: httpx.AsyncClient) -> None:
    _, author_tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    post = await create_post(client, author_tokens, publish=True)
    first = await create_comment(client, reader_tokens, post["id"], "one")
    await create_comment(client, author_tokens, post["id"], "two")
    assert await _comment_count(client, post["id"], reader_tokens) == 2
    listed = await client.get(POSTS)
    assert listed.json()["items"][0]["comment_count"] == 2
    deleted = await client.delete(
        _comments_url(post["id"], first["id"]), headers=bearer(reader_tokens)
    )
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await _comment_count(client, post["id"], reader_tokens) == 1
    assert await _listed(client, post["id"]) == ["two"]


async def test_comments_on_a_draft_are_listed_for_its_author_and_admins_only(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, author_tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    post = await create_post(client, author_tokens, publish=True)
    await create_comment(client, reader_tokens, post["id"], "kept")
    unpublished = await client.post(
        f"{POSTS}/{post['id']}/unpublish", headers=bearer(author_tokens)
    )
    assert unpublished.json()["comment_count"] == 1
    url = _comments_url(post["id"])
    assert_problem(await client.get(url), 404)
    assert_problem(await client.get(url, headers=bearer(reader_tokens)), 404)
    assert await _listed(client, post["id"], bearer(author_tokens)) == ["kept"]
    assert await _listed(client, post["id"], bearer(admin_tokens)) == ["kept"]
    await client.post(f"{POSTS}/{post['id']}/publish", headers=bearer(author_tokens))
    assert await _listed(client, post["id"]) == ["kept"]


async def test_comments_of_an_unknown_post_are_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(_comments_url(str(uuid.uuid4()))), 404)
    assert_problem(await client.get(_comments_url("nope")), 404)


async def test_comments_are_listed_oldest_first(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    comments = [await create_comment(client, tokens, post["id"], f"#{n}") for n in range(3)]
    # One test's requests share a timestamp: date the comments explicitly, last one oldest.
    for minutes, comment in zip((30, 20, 10), comments, strict=True):
        await db.execute(
            text(
                "UPDATE comments SET created_at = "
                "timestamptz '2026-01-01 00:00Z' + make_interval(mins => :m) WHERE id = :id"
            ),
            {"m": minutes, "id": comment["id"]},
        )
    assert await _listed(client, post["id"]) == ["#2", "#1", "#0"]


@pytest.mark.parametrize("deleter", ["comment_author", "post_author", "admin"])
async def test_comment_may_be_deleted_by(
    client: httpx.AsyncClient, db: AsyncConnection, deleter: str
) -> None:
    _, author_tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    post = await create_post(client, author_tokens, publish=True)
    comment = await create_comment(client, reader_tokens, post["id"])
    tokens = {
        "comment_author": reader_tokens,
        "post_author": author_tokens,
        "admin": admin_tokens,
    }[deleter]
    url = _comments_url(post["id"], comment["id"])
    assert (await client.delete(url, headers=bearer(tokens))).status_code == 204
    assert await _listed(client, post["id"]) == []
    assert_problem(await client.delete(url, headers=bearer(tokens)), 404)


async def test_others_may_not_delete_a_comment(client: httpx.AsyncClient) -> None:
    _, author_tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    _, stranger_tokens = await user_with_tokens(client)
    post = await create_post(client, author_tokens, publish=True)
    comment = await create_comment(client, reader_tokens, post["id"], "mine")
    url = _comments_url(post["id"], comment["id"])
    assert_problem(await client.delete(url, headers=bearer(stranger_tokens)), 403)
    assert_problem(await client.delete(url), 401)
    assert await _listed(client, post["id"]) == ["mine"]
    assert await _comment_count(client, post["id"], author_tokens) == 1


async def test_deleting_with_the_wrong_post_or_comment_id_is_404(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    other_post = await create_post(client, tokens, publish=True)
    comment = await create_comment(client, tokens, post["id"], "stays")
    for url in (
        _comments_url(other_post["id"], comment["id"]),
        _comments_url(post["id"], str(uuid.uuid4())),
        _comments_url(str(uuid.uuid4()), comment["id"]),
    ):
        assert_problem(await client.delete(url, headers=bearer(tokens)), 404)
    assert_problem(await client.delete(_comments_url(post["id"], "x"), headers=bearer(tokens)), 404)
    assert await _listed(client, post["id"]) == ["stays"]
    assert await _comment_count(client, post["id"], tokens) == 1
    assert await _comment_count(client, other_post["id"], tokens) == 0
