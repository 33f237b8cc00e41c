"""The fast read-path serialization is byte for byte what the contract models produce."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest

from app.contract import Post, PostPage
from app.posts.representation import COLUMNS, encode, page_body, post_document, row_document
from tests.helpers import create_post, user_with_tokens


def _row(published_at: datetime | None, tags: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        slug="a-slug",
        title="Ünïcode “title”",
        body="# Body\n\nwith\ttabs and \\ backslashes",
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
    [_row(None, []), _row(datetime(2026, 11, 22, 11, 5, 7, 1, tzinfo=UTC), ["a", "b-c"])],
    ids=["draft", "published"],
)
def test_documents_serialize_exactly_like_the_contract_model(row: SimpleNamespace) -> None:
    document = post_document(row, row.author_name)  # type: ignore[arg-type]
    assert encode(document) == Post.model_validate(document).model_dump_json().encode()
    values = [getattr(row, name) for name in COLUMNS]
    assert row_document(values) == document
    page = page_body([values, values], "next")
    assert page == PostPage.model_validate_json(page).model_dump_json().encode()


async def test_served_posts_round_trip_through_the_contract_model(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    single = await client.get(f"/api/v1/posts/{post['id']}")
    assert single.content == Post.model_validate_json(single.content).model_dump_json().encode()
    listed = await client.get("/api/v1/posts")
    assert listed.content == PostPage.model_validate_json(listed.content).model_dump_json().encode()
