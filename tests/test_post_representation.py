"""The one rendering of a post (PostgreSQL's, app.posts.repository) is byte for byte what the
contract model produces, field for field, wherever a post is served."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.contract import Post, PostPage
from app.posts.repository import document_fields
from app.posts.representation import page_body
from tests.helpers import bearer, create_post, user_with_tokens

# What JSON escapes differently from engine to engine: quotes, backslashes, control
# characters, non-ASCII, and characters JavaScript treats as line ends.
TRICKY = 'Ünïcode “quotes” "q" \\ back\tslash\x01\x1f\x7f \u2028 </script> 🙂'


def test_the_one_rendering_has_exactly_the_contract_fields_in_order() -> None:
    """A field added to the contract's `Post` cannot silently go unsent: the rendering must
    name it, and nothing the contract does not have."""
    assert list(document_fields()) == list(Post.model_fields)


def test_a_page_of_documents_is_what_the_contract_model_writes() -> None:
    post = Post.model_validate(
        {
            "id": str(uuid.uuid4()),
            "slug": "a-slug",
            "title": TRICKY,
            "body": TRICKY,
            "tags": ["a"],
            "status": "draft",
            "author": {"id": str(uuid.uuid4()), "display_name": "Ada"},
            "created_at": datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC),
            "updated_at": datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC),
            "published_at": None,
            "comment_count": 3,
        }
    )
    page = page_body([post.model_dump_json()] * 2, "next")
    assert page == PostPage.model_validate_json(page).model_dump_json().encode()


async def _set_times(db: AsyncConnection, post_id: str, micro: int) -> None:
    """Timestamps with and without a fraction (trailing zeros and all), as rows can hold."""
    await db.execute(
        text(
            "UPDATE posts SET created_at = :whole, updated_at = :fraction,"
            " published_at = CASE WHEN published_at IS NULL THEN NULL"
            " ELSE CAST(:fraction AS timestamptz) END WHERE id = :id"
        ),
        {
            "whole": datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC),
            "fraction": datetime(2026, 11, 22, 10, 0, 1, micro, tzinfo=UTC),
            "id": uuid.UUID(post_id),
        },
    )


@pytest.mark.parametrize("published", [True, False], ids=["published", "draft"])
@pytest.mark.parametrize("micro", [1, 120000, 654321])
async def test_a_listed_post_is_the_served_post_byte_for_byte(
    client: httpx.AsyncClient, db: AsyncConnection, published: bool, micro: int
) -> None:
    user, tokens = await user_with_tokens(client)
    post = await create_post(
        client, tokens, publish=published, title=TRICKY, body=TRICKY, tags=["x", "y-z"]
    )
    await _set_times(db, post["id"], micro)
    single = await client.get(f"/api/v1/posts/{post['id']}", headers=bearer(tokens))
    listed = await client.get(
        f"/api/v1/users/{user['id']}/posts", params={"status": "all"}, headers=bearer(tokens)
    )
    assert single.content == Post.model_validate_json(single.content).model_dump_json().encode()
    assert listed.content == PostPage.model_validate_json(listed.content).model_dump_json().encode()
    assert b'{"items":[' + single.content + b'],"next_cursor":null}' == listed.content
