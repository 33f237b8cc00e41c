"""A page of 100 rows costs the same SQL statements as a page of one: no query per row."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.helpers import (
    POSTS,
    admin_with_tokens,
    bearer,
    create_comment,
    create_post,
    user_with_tokens,
)


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement sent on the app's engine; the test's connection (shared by the server's
    sessions in rolled-back mode) belongs to it too."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (connection, cursor, statement, parameters, context, many)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _cost(
    client: httpx.AsyncClient,
    statements: list[str],
    url: str,
    headers: dict[str, str],
    expected_items: int,
) -> list[str]:
    statements.clear()
    response = await client.get(url, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == expected_items
    return list(statements)


async def _assert_flat(
    client: httpx.AsyncClient,
    db: AsyncConnection,
    statements: list[str],
    url: str,
    headers: dict[str, str],
    add_99: str,
    params: dict[str, Any],
) -> None:
    one = await _cost(client, statements, url, headers, 1)
    assert any(s.lstrip().upper().startswith("SELECT") for s in one), one
    await db.execute(text(add_99), params)
    hundred = await _cost(client, statements, url, headers, 100)
    assert len(hundred) == len(one), (one, hundred)


ADD_POSTS = """
    INSERT INTO posts (id, author_id, slug, title, body, status, published_at)
    SELECT gen_random_uuid(), CAST(:author AS uuid), 'bulk-' || n || '-' || CAST(:author AS uuid),
           'Bulk ' || n, 'Words',
           'published', now() - make_interval(secs => n)
    FROM generate_series(1, 99) AS n
"""


async def test_listing_posts(
    client: httpx.AsyncClient, db: AsyncConnection, statements: list[str]
) -> None:
    user, tokens = await user_with_tokens(client)
    await create_post(client, tokens, publish=True)
    for headers in ({}, bearer(tokens)):
        await db.execute(text("DELETE FROM posts WHERE slug LIKE 'bulk-%'"))
        await _assert_flat(
            client, db, statements, POSTS, headers, ADD_POSTS, {"author": user["id"]}
        )


@pytest.mark.parametrize("status", ["published", "all"])
async def test_listing_a_users_posts(
    client: httpx.AsyncClient, db: AsyncConnection, statements: list[str], status: str
) -> None:
    user, tokens = await user_with_tokens(client)
    await create_post(client, tokens, publish=True)
    url = f"/api/v1/users/{user['id']}/posts?status={status}"
    await _assert_flat(
        client, db, statements, url, bearer(tokens), ADD_POSTS, {"author": user["id"]}
    )


async def test_listing_comments(
    client: httpx.AsyncClient, db: AsyncConnection, statements: list[str]
) -> None:
    user, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    await create_comment(client, tokens, post["id"])
    add = """
        INSERT INTO comments (id, post_id, author_id, body)
        SELECT gen_random_uuid(), :post, :author, 'Bulk ' || n FROM generate_series(1, 99) AS n
    """
    url = f"{POSTS}/{post['id']}/comments"
    await _assert_flat(
        client, db, statements, url, {}, add, {"post": post["id"], "author": user["id"]}
    )


async def test_listing_users(
    client: httpx.AsyncClient, db: AsyncConnection, statements: list[str]
) -> None:
    admin, tokens = await admin_with_tokens(client, db)
    add = """
        INSERT INTO users (id, email, display_name, password_hash)
        SELECT gen_random_uuid(), 'bulk-' || n || '-' || :tag || '@example.com', 'Bulk', 'x'
        FROM generate_series(1, 99) AS n
    """
    await _assert_flat(
        client, db, statements, "/api/v1/users", bearer(tokens), add, {"tag": admin["id"]}
    )
