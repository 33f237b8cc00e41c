"""Listing posts: what each list shows, its filters, full-text search and its order."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.contract import Post, PostPage
from tests.helpers import (
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_post,
    login,
    register,
    user_with_tokens,
)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["id"] for item in response.json()["items"]]


async def _set_minutes(db: AsyncConnection, column: str, minutes: dict[str, int]) -> None:
    """Place posts in time: one request's rows otherwise share the transaction's timestamp."""
    assert column in ("created_at", "published_at")
    for post_id, minute in minutes.items():
        await db.execute(
            text(
                f"UPDATE posts SET {column} = "  # noqa: S608 - column is one of two names
                "timestamptz '2026-01-01 00:00Z' + make_interval(mins => :m) WHERE id = :id"
            ),
            {"m": minute, "id": post_id},
        )


async def test_list_shows_published_posts_only(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    published = await create_post(client, tokens, publish=True)
    await create_post(client, tokens)
    withdrawn = await create_post(client, tokens, publish=True)
    assert (
        await client.post(f"{POSTS}/{withdrawn['id']}/unpublish", headers=bearer(tokens))
    ).status_code == 200
    for headers in ({}, bearer(tokens)):
        assert _ids(await client.get(POSTS, headers=headers)) == [published["id"]]


# The contract's PostExcerpt: longer bodies are cut to this many characters, then "…".
EXCERPT = 280


def _summary(post: dict[str, Any]) -> dict[str, Any]:
    """A post as lists show it: `body` replaced in its place by the excerpt."""
    body = post["body"]
    excerpt = body if len(body) <= EXCERPT else body[:EXCERPT] + "\u2026"
    return {
        ("excerpt" if name == "body" else name): (excerpt if name == "body" else value)
        for name, value in post.items()
    }


async def test_list_items_are_the_posts_as_read_one_by_one_with_an_excerpt(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    short = await create_post(client, tokens, publish=True, tags=["a", "b"])
    long = await create_post(client, tokens, publish=True, body="word " * 100)
    response = await client.get(POSTS)
    assert response.json()["next_cursor"] is None
    listed = {item["id"]: item for item in response.json()["items"]}
    assert listed == {short["id"]: _summary(short), long["id"]: _summary(long)}
    assert listed[short["id"]]["excerpt"] == short["body"]
    assert listed[long["id"]]["excerpt"] == "word " * 56 + "\u2026"
    assert list(listed[long["id"]]) == list(_summary(long))  # the contract's field order


async def test_list_orders_by_publication_time(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    first, second, third = [await create_post(client, tokens, publish=True) for _ in range(3)]
    # Created first, published last: the publication time decides.
    await _set_minutes(db, "created_at", {first["id"]: 1, second["id"]: 2, third["id"]: 3})
    await _set_minutes(db, "published_at", {first["id"]: 30, second["id"]: 10, third["id"]: 20})
    newest = [first["id"], third["id"], second["id"]]
    assert _ids(await client.get(POSTS)) == newest
    assert _ids(await client.get(POSTS, params={"sort": "newest"})) == newest
    assert _ids(await client.get(POSTS, params={"sort": "oldest"})) == newest[::-1]


async def test_list_filters_by_author(client: httpx.AsyncClient) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    _, bob_tokens = await user_with_tokens(client)
    mine = await create_post(client, alice_tokens, publish=True)
    await create_post(client, alice_tokens)
    await create_post(client, bob_tokens, publish=True)
    assert _ids(await client.get(POSTS, params={"author_id": alice["id"]})) == [mine["id"]]
    assert _ids(await client.get(POSTS, params={"author_id": str(uuid.uuid4())})) == []


async def test_list_filters_by_tag(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    python = await create_post(client, tokens, publish=True, tags=["python"])
    both = await create_post(client, tokens, publish=True, tags=["web", "python"])
    await create_post(client, tokens, publish=True, tags=["rust", "python-like"])
    await create_post(client, tokens, tags=["python"])
    found = _ids(await client.get(POSTS, params={"tag": "python"}))
    assert sorted(found) == sorted([python["id"], both["id"]])
    assert _ids(await client.get(POSTS, params={"tag": "web"})) == [both["id"]]
    assert _ids(await client.get(POSTS, params={"tag": "pyth"})) == []


async def test_search_matches_title_and_body_with_english_stemming(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    runner = await create_post(
        client, tokens, publish=True, title="Running with scissors", body="Sharp advice."
    )
    baker = await create_post(
        client, tokens, publish=True, title="Kitchen notes", body="She baked three loaves."
    )
    await create_post(client, tokens, title="Runs in a draft", body="Hidden until published.")

    async def search(q: str) -> list[str]:
        return _ids(await client.get(POSTS, params={"q": q}))

    assert await search("run") == [runner["id"]]
    assert await search("RUNS") == [runner["id"]]
    assert await search("baking kitchens") == [baker["id"]]
    assert await search("sharp scissors") == [runner["id"]]
    # Every word must match.
    assert await search("scissors kitchen") == []
    assert await search("gardening") == []


async def test_search_tolerates_operators_quotes_and_stop_words(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True, title="Quiet mornings", body="Tea.")
    for q in ("the", '"unterminated', "!!! && ||", "a:*", "(mornings", "-"):
        response = await client.get(POSTS, params={"q": q})
        assert response.status_code == 200, (q, response.text)
    assert _ids(await client.get(POSTS, params={"q": '"quiet mornings"'})) == [post["id"]]
    assert _ids(await client.get(POSTS, params={"q": "mornings -tea"})) == []


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    _, bob_tokens = await user_with_tokens(client)
    wanted = await create_post(
        client, alice_tokens, publish=True, title="Garden diary", tags=["garden"]
    )
    await create_post(client, alice_tokens, publish=True, title="Garden diary", tags=["kitchen"])
    await create_post(client, alice_tokens, publish=True, title="Kitchen diary", tags=["garden"])
    await create_post(client, bob_tokens, publish=True, title="Garden diary", tags=["garden"])
    params = {"author_id": alice["id"], "tag": "garden", "q": "garden"}
    assert _ids(await client.get(POSTS, params=params)) == [wanted["id"]]


async def test_search_reads_the_whole_body_not_the_excerpt(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(
        client, tokens, publish=True, body="Filler words. " * 7000 + "Finally, zanzibar."
    )
    response = await client.get(POSTS, params={"q": "zanzibar"})
    assert _ids(response) == [post["id"]]
    assert "zanzibar" not in response.json()["items"][0]["excerpt"]


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"sort": "random"}, "query.sort"),
        ({"author_id": "not-a-uuid"}, "query.author_id"),
        ({"tag": "Not A Tag"}, "query.tag"),
        ({"tag": "x" * 33}, "query.tag"),
        ({"q": ""}, "query.q"),
        ({"q": "x" * 201}, "query.q"),
    ],
)
async def test_list_rejects_invalid_parameters(
    client: httpx.AsyncClient, params: dict[str, str], location: str
) -> None:
    errors = assert_problem(await client.get(POSTS, params=params), 422)["errors"]
    assert [error["location"] for error in errors] == [location]


async def _user_posts(
    client: httpx.AsyncClient, user_id: str, headers: dict[str, str], **params: str
) -> httpx.Response:
    return await client.get(f"/api/v1/users/{user_id}/posts", params=params, headers=headers)


async def test_user_posts_are_public_for_published_posts(client: httpx.AsyncClient) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    _, bob_tokens = await user_with_tokens(client)
    published = await create_post(client, alice_tokens, publish=True)
    await create_post(client, alice_tokens)
    await create_post(client, bob_tokens, publish=True)
    for headers in ({}, bearer(bob_tokens), bearer(alice_tokens)):
        response = await _user_posts(client, alice["id"], headers)
        assert response.json() == {"items": [_summary(published)], "next_cursor": None}
        explicit = await _user_posts(client, alice["id"], headers, status="published")
        assert _ids(explicit) == [published["id"]]


@pytest.mark.parametrize("status", ["draft", "all"])
async def test_user_drafts_are_for_the_owner_and_admins(
    client: httpx.AsyncClient, db: AsyncConnection, status: str
) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    _, bob_tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    published = await create_post(client, alice_tokens, publish=True)
    draft = await create_post(client, alice_tokens)
    await create_post(client, bob_tokens)
    expected = {draft["id"]} if status == "draft" else {draft["id"], published["id"]}
    for headers in (bearer(alice_tokens), bearer(admin_tokens)):
        response = await _user_posts(client, alice["id"], headers, status=status)
        assert set(_ids(response)) == expected
    assert_problem(await _user_posts(client, alice["id"], {}, status=status), 403)
    assert_problem(await _user_posts(client, alice["id"], bearer(bob_tokens), status=status), 403)


async def test_user_posts_of_an_unknown_user_are_404(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, admin_tokens = await admin_with_tokens(client, db)
    unknown = str(uuid.uuid4())
    assert_problem(await _user_posts(client, unknown, {}), 404)
    assert_problem(await _user_posts(client, unknown, bearer(admin_tokens), status="all"), 404)


async def test_user_posts_validate_parameters(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    cases: list[tuple[str, dict[str, str], str]] = [
        (user["id"], {"status": "archived"}, "query.status"),
        (user["id"], {"sort": "sideways"}, "query.sort"),
    ]
    for user_id, params, location in cases:
        response = await _user_posts(client, user_id, bearer(tokens), **params)
        assert [e["location"] for e in assert_problem(response, 422)["errors"]] == [location]
    # Ids are UUIDs in the route itself: anything else names no resource.
    assert_problem(await _user_posts(client, "not-a-uuid", bearer(tokens)), 404)


async def test_user_posts_order_drafts_by_creation_and_published_by_publication(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user, tokens = await user_with_tokens(client)
    a = await create_post(client, tokens, publish=True)
    b = await create_post(client, tokens, publish=True)
    c = await create_post(client, tokens)
    d = await create_post(client, tokens)
    await _set_minutes(db, "created_at", {a["id"]: 1, b["id"]: 2, c["id"]: 3, d["id"]: 4})
    await _set_minutes(db, "published_at", {a["id"]: 20, b["id"]: 10})
    me = bearer(tokens)

    async def listed(**params: str) -> list[str]:
        return _ids(await _user_posts(client, user["id"], me, **params))

    assert await listed() == [a["id"], b["id"]]
    assert await listed(sort="oldest") == [b["id"], a["id"]]
    assert await listed(status="draft") == [d["id"], c["id"]]
    assert await listed(status="all") == [d["id"], c["id"], b["id"], a["id"]]
    assert await listed(status="all", sort="oldest") == [a["id"], b["id"], c["id"], d["id"]]


async def test_lists_reflect_deletes(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    kept = await create_post(client, tokens, publish=True)
    gone = await create_post(client, tokens, publish=True)
    deleted = await client.delete(
        f"{POSTS}/{gone['id']}", headers={**bearer(tokens), "If-Match": "*"}
    )
    assert deleted.status_code == 204
    assert _ids(await client.get(POSTS)) == [kept["id"]]
    assert _ids(await _user_posts(client, user["id"], {})) == [kept["id"]]


# Characters JSON escapes to six bytes (\u0001): the largest answer each bounded string allows.
WIDE = "\x01"
MAX_BODY = 100_000  # the contract's PostBody
ONE_MB = 1_000_000


async def test_a_page_of_the_largest_posts_stays_far_under_a_megabyte(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    """100 posts of the longest body, title, tags and author name the contract allows, each
    character escaped to six bytes: a page of them is what the spec says (under 430 KB), and
    the full post is served whole by getPost (under 603 KB)."""
    registered = await register(client, display_name=WIDE * 100)
    tokens = await login(client, registered["email"])
    post = await create_post(
        client,
        tokens,
        publish=True,
        title=WIDE * 200,
        body=WIDE * MAX_BODY,
        tags=[f"{n}{'x' * 31}" for n in range(10)],
    )
    await db.execute(
        text(
            "INSERT INTO posts (id, author_id, slug, title, body, tags, status, published_at)"
            " SELECT gen_random_uuid(), author_id, slug || '-' || n, title, body, tags, status,"
            " published_at - make_interval(secs => n)"
            " FROM posts, generate_series(1, 99) AS n WHERE id = :id"
        ),
        {"id": post["id"]},
    )
    author = registered["id"]
    for url in (f"{POSTS}?author_id={author}&limit=100", f"/api/v1/users/{author}/posts?limit=100"):
        page = await client.get(url)
        assert page.status_code == 200, page.text
        summaries = PostPage.model_validate_json(page.content).items
        assert len(summaries) == 100
        assert {len(summary.excerpt) for summary in summaries} == {281}
        assert len(page.content) < 430_000 < ONE_MB, len(page.content)

    served = await client.get(f"{POSTS}/{post['id']}")
    assert served.status_code == 200
    assert Post.model_validate_json(served.content).body == WIDE * MAX_BODY
    assert len(served.content) < 603_000 < ONE_MB, len(served.content)
