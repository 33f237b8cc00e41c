"""Keyset pagination on every list: complete walks, signed cursors bound to their list, bounds."""

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.helpers import (
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    make_admin,
    user_with_tokens,
)

USERS = "/api/v1/users"


async def _page(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _walk(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    limit: int = 2,
) -> list[list[str]]:
    """Every page's ids, following next_cursor until it is null."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await _page(client, url, query, headers or {})
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= 100, "the walk does not end"


def _flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


async def _everything(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> list[str]:
    page = await _page(client, url, {**(params or {}), "limit": 100}, headers or {})
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


async def _first_cursor(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    cursor: str | None = (await _page(client, url, {**(params or {}), "limit": 1}, headers or {}))[
        "next_cursor"
    ]
    assert cursor is not None
    return cursor


async def _spread_publication(db: AsyncConnection, post_ids: list[str]) -> None:
    """Published a minute apart, in list order (rows of one transaction share a timestamp)."""
    for minute, post_id in enumerate(post_ids):
        await db.execute(
            text(
                "UPDATE posts SET published_at = "
                "timestamptz '2026-01-01 00:00Z' + make_interval(mins => :m) WHERE id = :id"
            ),
            {"m": minute, "id": post_id},
        )


async def test_walking_posts_yields_each_once_in_order(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    ids = [(await create_post(client, tokens, publish=True))["id"] for _ in range(5)]
    await _spread_publication(db, ids)
    newest = ids[::-1]
    assert await _walk(client, POSTS) == [newest[0:2], newest[2:4], newest[4:]]
    assert await _walk(client, POSTS, {"sort": "oldest"}) == [ids[0:2], ids[2:4], ids[4:]]
    assert await _walk(client, POSTS, limit=1) == [[post_id] for post_id in newest]


async def test_walking_rows_with_equal_timestamps_misses_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Every row of the test's transaction has the same publication time: only the id separates.
    _, tokens = await user_with_tokens(client)
    for _ in range(7):
        await create_post(client, tokens, publish=True)
    for sort in ("newest", "oldest"):
        pages = await _walk(client, POSTS, {"sort": sort})
        assert [len(page) for page in pages] == [2, 2, 2, 1]
        assert _flat(pages) == await _everything(client, POSTS, {"sort": sort})


async def test_a_full_last_page_has_no_next_cursor(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    for _ in range(4):
        await create_post(client, tokens, publish=True)
    assert [len(page) for page in await _walk(client, POSTS)] == [2, 2]
    empty = await _page(client, POSTS, {"tag": "nothing-here"}, {})
    assert empty == {"items": [], "next_cursor": None}


async def test_walking_filtered_posts(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    tagged = [(await create_post(client, tokens, publish=True, tags=["x"]))["id"] for _ in range(3)]
    for _ in range(3):
        await create_post(client, tokens, publish=True, tags=["y"])
    walked = _flat(await _walk(client, POSTS, {"tag": "x"}))
    assert sorted(walked) == sorted(tagged)
    assert walked == await _everything(client, POSTS, {"tag": "x"})


@pytest.mark.parametrize("status", ["published", "draft", "all"])
async def test_walking_a_users_posts(client: httpx.AsyncClient, status: str) -> None:
    user, tokens = await user_with_tokens(client)
    for n in range(6):
        await create_post(client, tokens, publish=n % 2 == 0)
    url = f"{USERS}/{user['id']}/posts"
    pages = await _walk(client, url, {"status": status}, bearer(tokens))
    everything = await _everything(client, url, {"status": status}, bearer(tokens))
    assert len(everything) == (6 if status == "all" else 3)
    assert _flat(pages) == everything


async def test_walking_comments_oldest_first(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    ids = [(await create_comment(client, tokens, post["id"], f"#{n}"))["id"] for n in range(5)]
    for minute, comment_id in enumerate(ids):
        await db.execute(
            text(
                "UPDATE comments SET created_at = "
                "timestamptz '2026-01-01 00:00Z' + make_interval(mins => :m) WHERE id = :id"
            ),
            {"m": minute, "id": comment_id},
        )
    url = f"{POSTS}/{post['id']}/comments"
    assert await _walk(client, url) == [ids[0:2], ids[2:4], ids[4:]]


async def test_walking_users(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    _, admin_tokens = await admin_with_tokens(client, db)
    for _ in range(4):
        await user_with_tokens(client)
    headers = bearer(admin_tokens)
    for params in ({}, {"sort": "oldest"}, {"role": "user"}):
        pages = await _walk(client, USERS, params, headers)
        everything = await _everything(client, USERS, params, headers)
        assert len(everything) == (4 if params.get("role") else 5)
        assert _flat(pages) == everything


def _tampered(cursor: str) -> list[str]:
    body, signature = cursor.split(".", 1)
    _, row_id = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    earlier = json.dumps(["2000-01-01T00:00:00+00:00", row_id], separators=(",", ":"))
    forged_body = base64.urlsafe_b64encode(earlier.encode()).rstrip(b"=").decode()
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{forged_body}.{signature}",
        f"{body}.{flipped}",
        body,
        f"{body}.",
        f".{signature}",
        "not-a-cursor",
        "%%%.???",
        f"{base64.urlsafe_b64encode(b'not json').decode()}.{signature}",
    ]


async def test_a_tampered_cursor_is_400(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    for _ in range(3):
        await create_post(client, tokens, publish=True)
    cursor = await _first_cursor(client, POSTS)
    for bad in _tampered(cursor):
        response = await client.get(POSTS, params={"cursor": bad, "limit": 1})
        assert "cursor" in assert_problem(response, 400)["detail"], bad
    assert (await client.get(POSTS, params={"cursor": cursor, "limit": 1})).status_code == 200


async def test_a_cursor_only_fits_its_own_list_and_filters(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    alice, alice_tokens = await user_with_tokens(client)
    bob, bob_tokens = await user_with_tokens(client)
    await make_admin(db, alice["id"])
    for tokens in (alice_tokens, alice_tokens, bob_tokens, bob_tokens):
        post = await create_post(client, tokens, publish=True, tags=["a"], title="Garden")
        await create_comment(client, tokens, post["id"])
        await create_comment(client, tokens, post["id"])
    other_post = await create_post(client, bob_tokens, publish=True)
    await create_comment(client, bob_tokens, other_post["id"])
    await create_comment(client, bob_tokens, other_post["id"])
    alice_posts, bob_posts = f"{USERS}/{alice['id']}/posts", f"{USERS}/{bob['id']}/posts"
    me = bearer(alice_tokens)

    # (where the cursor came from, where it is used)
    cases: list[tuple[tuple[str, dict[str, str]], tuple[str, dict[str, str]]]] = [
        ((POSTS, {"sort": "oldest"}), (POSTS, {"sort": "newest"})),
        ((POSTS, {}), (POSTS, {"tag": "a"})),
        ((POSTS, {"tag": "a"}), (POSTS, {"tag": "b"})),
        ((POSTS, {"q": "garden"}), (POSTS, {"q": "gardens"})),
        ((POSTS, {"author_id": alice["id"]}), (POSTS, {"author_id": bob["id"]})),
        ((POSTS, {}), (alice_posts, {})),
        ((alice_posts, {}), (POSTS, {})),
        ((alice_posts, {}), (bob_posts, {})),
        ((alice_posts, {"status": "all"}), (alice_posts, {"status": "published"})),
        ((alice_posts, {"sort": "oldest"}), (alice_posts, {})),
        ((f"{POSTS}/{post['id']}/comments", {}), (f"{POSTS}/{other_post['id']}/comments", {})),
        ((POSTS, {}), (f"{POSTS}/{post['id']}/comments", {})),
        ((USERS, {}), (USERS, {"sort": "oldest"})),
        ((USERS, {}), (USERS, {"role": "user"})),
        ((USERS, {}), (USERS, {"is_active": "true"})),
        ((USERS, {"q": "example"}), (USERS, {"q": "exampl"})),
        ((POSTS, {}), (USERS, {})),
    ]
    for (source, source_params), (target, target_params) in cases:
        cursor = await _first_cursor(client, source, source_params, me)
        response = await client.get(
            target, params={**target_params, "cursor": cursor, "limit": 1}, headers=me
        )
        assert_problem(response, 400)
        # The same cursor still works where it came from.
        same = await client.get(
            source, params={**source_params, "cursor": cursor, "limit": 1}, headers=me
        )
        assert same.status_code == 200, (source, source_params)


async def _list_urls(
    client: httpx.AsyncClient, db: AsyncConnection
) -> tuple[list[str], dict[str, str]]:
    admin, tokens = await admin_with_tokens(client, db)
    post = await create_post(client, tokens, publish=True)
    urls = [POSTS, f"{USERS}/{admin['id']}/posts", f"{POSTS}/{post['id']}/comments", USERS]
    return urls, bearer(tokens)


async def test_limit_out_of_bounds_is_422_on_every_list(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    urls, headers = await _list_urls(client, db)
    for url in urls:
        for limit in ("0", "101", "-1", "ten", "1.5"):
            response = await client.get(url, params={"limit": limit}, headers=headers)
            errors = assert_problem(response, 422)["errors"]
            assert [error["location"] for error in errors] == ["query.limit"], (url, limit)


async def test_limit_bounds_and_cursor_length_on_every_list(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    urls, headers = await _list_urls(client, db)
    for url in urls:
        for limit in (1, 100):
            response = await client.get(url, params={"limit": limit}, headers=headers)
            assert response.status_code == 200, (url, limit)
        for cursor in ("", "x" * 513):
            response = await client.get(url, params={"cursor": cursor}, headers=headers)
            errors = assert_problem(response, 422)["errors"]
            assert [error["location"] for error in errors] == ["query.cursor"], url


async def test_the_default_page_is_twenty(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    for n in range(21):
        await create_comment(client, tokens, post["id"], f"#{n}")
    page = await _page(client, f"{POSTS}/{post['id']}/comments", {}, {})
    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


async def test_posts_created_between_pages_neither_repeat_nor_vanish(
    app: FastAPI, committed_db: AsyncEngine
) -> None:
    async with httpx.AsyncClient(base_url=app.state.base_url) as client:
        _, tokens = await user_with_tokens(client)
        originals = [(await create_post(client, tokens, publish=True))["id"] for _ in range(5)]

        newest = await _page(client, POSTS, {"limit": 2}, {})
        oldest = await _page(client, POSTS, {"limit": 2, "sort": "oldest"}, {})
        added = [(await create_post(client, tokens, publish=True))["id"] for _ in range(2)]

        async def rest(first: dict[str, Any], params: dict[str, str]) -> list[str]:
            ids = [item["id"] for item in first["items"]]
            cursor = first["next_cursor"]
            while cursor is not None:
                page = await _page(client, POSTS, {**params, "limit": 2, "cursor": cursor}, {})
                ids += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
            return ids

        assert await rest(newest, {}) == originals[::-1]
        assert await rest(oldest, {"sort": "oldest"}) == originals + added
