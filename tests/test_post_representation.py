"""Both renderings of a post (orjson for one post, PostgreSQL for pages) are byte for byte what
the contract models produce, and the same as each other."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.contract import Post, PostPage
from app.posts.representation import COLUMNS, encode, page_body, post_document, row_document
from tests.helpers import bearer, create_post, user_with_tokens

# What JSON escapes differently from engine to engine: quotes, backslashes, control
# characters, non-ASCII, and characters JavaScript treats as line ends.
TRICKY = 'Ünïcode “quotes” "q" \\ back\tslash\x01\x1f\x7f \u2028 </script> 🙂'


def _row(published_at: datetime | None, tags: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        slug="a-slug",
        title=TRICKY,
        body=f"# Body\n\n{TRICKY}",
        tags=tags,
        status="published" if published_at else "draft",
        author_id=uuid.uuid4(),
        author_name="Ada",
        created_at=datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC),
        updated_at=datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC),
        published_at=published_at,
        comment_count=3,
    )


@pytest.mark.parametrize(
    "row",
    [_row(None, []), _row(datetime(2026, 11, 22, 11, 5, 7, 100000, tzinfo=UTC), ["a", "b-c"])],
    ids=["draft", "published"],
)
def test_documents_serialize_exactly_like_the_contract_model(row: SimpleNamespace) -> None:
    document = post_document(row, row.author_name)  # type: ignore[arg-type]
    assert encode(document) == Post.model_validate(document).model_dump_json().encode()
    assert row_document([getattr(row, name) for name in COLUMNS]) == document
    page = page_body([encode(document).decode()] * 2, "next")
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
