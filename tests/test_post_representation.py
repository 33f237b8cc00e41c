"""The renderings of a post (PostgreSQL's, app.posts.repository): the post, and its summary in
lists, are byte for byte what the contract models produce, field for field, wherever a post is
served."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from annotated_types import MaxLen
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.contract import Post, PostPage, PostSummary
from app.posts.repository import ELLIPSIS, EXCERPT_LENGTH, document_fields, summary_fields
from app.posts.representation import page_body
from tests.helpers import bearer, create_post, user_with_tokens

# What JSON escapes differently from engine to engine: quotes, backslashes, control
# characters, non-ASCII, and characters JavaScript treats as line ends.
TRICKY = 'Ünïcode “quotes” "q" \\ back\tslash\x01\x1f\x7f \u2028 </script> 🙂'


def test_the_one_rendering_has_exactly_the_contract_fields_in_order() -> None:
    """A field added to the contract's `Post` cannot silently go unsent: the rendering must
    name it, and nothing the contract does not have."""
    assert list(document_fields()) == list(Post.model_fields)


def test_the_summary_has_exactly_the_contract_fields_in_order() -> None:
    assert list(summary_fields()) == list(PostSummary.model_fields)
    # The summary is the post with `body` replaced in its place: every other field is the
    # post's own SQL.
    post, summary = document_fields(), summary_fields()
    assert [name for name in summary if name != "excerpt"] == [n for n in post if n != "body"]
    assert all(summary[name] == post[name] for name in summary if name != "excerpt")


def test_the_excerpt_fits_the_contracts_bound() -> None:
    (bound,) = [m for m in PostSummary.model_fields["excerpt"].metadata if isinstance(m, MaxLen)]
    assert bound.max_length == EXCERPT_LENGTH + len(ELLIPSIS)


def excerpt_of(body: str) -> str:
    """The contract's PostExcerpt rule, written independently of the SQL."""
    return body if len(body) <= EXCERPT_LENGTH else body[:EXCERPT_LENGTH] + "\u2026"


def summary_of(post: Post) -> bytes:
    """What a list must carry for `post`, as the contract model writes it."""
    fields = post.model_dump(mode="json", exclude={"body"})
    summary = PostSummary.model_validate({**fields, "excerpt": excerpt_of(post.body)})
    return summary.model_dump_json().encode()


def test_a_page_of_documents_is_what_the_contract_model_writes() -> None:
    post = PostSummary.model_validate(
        {
            "id": str(uuid.uuid4()),
            "slug": "a-slug",
            "title": TRICKY,
            "excerpt": TRICKY,
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
    summary = summary_of(Post.model_validate_json(single.content))
    assert b'{"items":[' + summary + b'],"next_cursor":null}' == listed.content


# Bodies around the cut: empty, exactly at it, one over, and cuts through what JSON escapes
# and what UTF-16 or graphemes would count differently (code points are what counts).
BODIES = {
    "empty": "",
    "tricky": TRICKY,
    "at-the-limit": "a" * EXCERPT_LENGTH,
    "one-over": "a" * (EXCERPT_LENGTH + 1),
    "emoji": "\U0001f642" * 300,
    "combining-accent": "a" * (EXCERPT_LENGTH - 1) + "e\u0301 and more",
    "escapes-at-the-cut": "a" * (EXCERPT_LENGTH - 2) + '\\"\x01\u2028</script>',
    "ends-with-an-ellipsis": "a" * (EXCERPT_LENGTH - 1) + "\u2026",
    "tricky-and-long": TRICKY * 40,
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
async def test_a_listed_post_is_the_served_post_with_its_excerpt(
    client: httpx.AsyncClient, body: str
) -> None:
    user, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True, title=TRICKY, body=body)
    single = await client.get(f"/api/v1/posts/{post['id']}")
    served = Post.model_validate_json(single.content)
    assert served.body == body
    for url in (f"/api/v1/posts?author_id={user['id']}", f"/api/v1/users/{user['id']}/posts"):
        listed = await client.get(url)
        assert listed.content == b'{"items":[' + summary_of(served) + b'],"next_cursor":null}'
        (item,) = PostPage.model_validate_json(listed.content).items
        assert item.excerpt == excerpt_of(body)
