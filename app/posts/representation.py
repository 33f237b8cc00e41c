"""Posts as the contract shows them (`Post`, `PostPage`), and their ETags.

The read paths serialize plain documents with orjson instead of building a pydantic model per
item: a page is 20 posts, and model construction cost more than the query. The documents
follow the generated `app.contract.Post` field by field, and
tests/test_post_representation.py holds the two serializations equal.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from app.db.models import Post
from app.http.etag import etag_of

# What a post is read with, in this order (app.posts.repository selects these columns).
COLUMNS = (
    "id", "slug", "title", "body", "tags", "status", "author_id",
    "created_at", "updated_at", "published_at", "comment_count", "author_name",
)  # fmt: skip


def _document(
    id: Any,
    slug: str,
    title: str,
    body: str,
    tags: list[str],
    status: str,
    author_id: Any,
    created_at: datetime,
    updated_at: datetime,
    published_at: datetime | None,
    comment_count: int,
    author_name: str,
) -> dict[str, Any]:
    # str(): asyncpg's UUID type is not one orjson knows, and a fallback call per id is slower.
    return {
        "id": str(id),
        "slug": slug,
        "title": title,
        "body": body,
        "tags": tags,
        "status": status,
        "author": {"id": str(author_id), "display_name": author_name},
        "created_at": created_at,
        "updated_at": updated_at,
        "published_at": published_at,
        "comment_count": comment_count,
    }


def row_document(row: Sequence[Any]) -> dict[str, Any]:
    """A read row (the values of `COLUMNS`, in order) as the contract's `Post`."""
    return _document(*row)


def post_document(post: Post, author_name: str) -> dict[str, Any]:
    """A `Post` entity as the contract's `Post`."""
    return row_document([*(getattr(post, name) for name in COLUMNS[:-1]), author_name])


def encode(document: dict[str, Any]) -> bytes:
    # OPT_UTC_Z writes UTC as `Z`, exactly as pydantic does for the contract models.
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def page_body(rows: Iterable[Sequence[Any]], next_cursor: str | None) -> bytes:
    """A `PostPage` from read rows."""
    return encode({"items": [_document(*row) for row in rows], "next_cursor": next_cursor})


def body_and_etag(document: dict[str, Any]) -> tuple[bytes, str]:
    body = encode(document)
    return body, etag_of(body)
