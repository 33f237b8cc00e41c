"""Concurrent writers of one post, with real commits: ETags and row locks keep them honest."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import (
    POSTS,
    assert_problem,
    bearer,
    create_post,
    current_etag,
    user_with_tokens,
)

WRITERS = 20


@pytest.fixture
async def http(app: FastAPI, committed_db: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests commit for real, so concurrent requests contend for rows."""
    async with httpx.AsyncClient(base_url=app.state.base_url, timeout=30) as client:
        yield client


async def test_concurrent_edits_with_one_etag_let_exactly_one_through(
    http: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(http)
    post = await create_post(http, tokens)
    url = f"{POSTS}/{post['id']}"
    etag = await current_etag(http, post["id"], tokens)
    headers = {**bearer(tokens), "If-Match": etag}
    responses = await asyncio.gather(
        *(http.patch(url, json={"title": f"Edit {n}"}, headers=headers) for n in range(WRITERS))
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 412: WRITERS - 1}
    for response in responses:
        if response.status_code == 412:
            assert_problem(response, 412)
    (winner,) = [r for r in responses if r.status_code == 200]
    current = await http.get(url, headers=bearer(tokens))
    assert current.json() == winner.json()
    assert current.headers["etag"] == winner.headers["etag"] != etag


async def test_concurrent_deletes_with_one_etag_delete_once(http: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(http)
    post = await create_post(http, tokens)
    url = f"{POSTS}/{post['id']}"
    headers = {**bearer(tokens), "If-Match": await current_etag(http, post["id"], tokens)}
    responses = await asyncio.gather(*(http.delete(url, headers=headers) for _ in range(10)))
    codes = Counter(r.status_code for r in responses)
    assert codes[204] == 1
    # The others find the post gone (404) or, had it changed first, stale (412); never a 500.
    assert set(codes) - {204} <= {404, 412}, codes
    assert_problem(await http.get(url, headers=bearer(tokens)), 404)


async def test_concurrent_publishes_publish_once(http: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(http)
    post = await create_post(http, tokens)
    url = f"{POSTS}/{post['id']}/publish"
    responses = await asyncio.gather(*(http.post(url, headers=bearer(tokens)) for _ in range(10)))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}


async def test_concurrent_comments_keep_the_count_exact(http: httpx.AsyncClient) -> None:
    _, author_tokens = await user_with_tokens(http)
    readers = [(await user_with_tokens(http))[1] for _ in range(4)]
    post = await create_post(http, author_tokens, publish=True)
    url = f"{POSTS}/{post['id']}/comments"
    responses = await asyncio.gather(
        *(
            http.post(url, json={"body": f"#{n}"}, headers=bearer(readers[n % len(readers)]))
            for n in range(WRITERS)
        )
    )
    assert [r.status_code for r in responses] == [201] * WRITERS
    assert (await http.get(f"{POSTS}/{post['id']}")).json()["comment_count"] == WRITERS
    listed = await http.get(url, params={"limit": 100})
    assert sorted(c["body"] for c in listed.json()["items"]) == sorted(
        f"#{n}" for n in range(WRITERS)
    )
    deletions = await asyncio.gather(
        *(
            http.delete(f"{url}/{r.json()['id']}", headers=bearer(author_tokens))
            for r in responses[:10]
        )
    )
    assert [r.status_code for r in deletions] == [204] * 10
    assert (await http.get(f"{POSTS}/{post['id']}")).json()["comment_count"] == WRITERS - 10


async def test_concurrent_posts_with_one_title_all_get_distinct_slugs(
    http: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(http)
    body = {"title": "Same title", "body": "b"}
    answers = await asyncio.gather(
        *(http.post(POSTS, json=body, headers=bearer(tokens)) for _ in range(10))
    )
    assert [answer.status_code for answer in answers] == [201] * 10
    slugs = {answer.json()["slug"] for answer in answers}
    assert len(slugs) == 10
    assert "same-title" in slugs
