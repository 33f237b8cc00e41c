"""Posts as the contract shows them (`Post`, `PostPage`), and their ETags.

The read paths serialize plain documents with orjson instead of building a pydantic model per
item: a page is 20 posts, and model construction cost more than the query. The documents
follow the generated `app.contract.Post` field by field, and
tests/test_post_representation.py holds the two serializations equal.
"""

from typing import Any

import orjson

from app.http.etag import etag_of


def post_document(post: Any, author_name: str) -> dict[str, Any]:
    """A `Post` entity, or a list row with the same attribute names, as the contract's `Post`."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "body": post.body,
        "tags": post.tags,
        "status": post.status,
        "author": {"id": post.author_id, "display_name": author_name},
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "published_at": post.published_at,
        "comment_count": post.comment_count,
    }


def encode(document: dict[str, Any]) -> bytes:
    # OPT_UTC_Z writes UTC as `Z`, exactly as pydantic does for the contract models; `str`
    # covers asyncpg's own UUID type, which orjson does not know.
    return orjson.dumps(document, default=str, option=orjson.OPT_UTC_Z)


def page_body(rows: Any, next_cursor: str | None) -> bytes:
    """A `PostPage` from list rows (each carrying `author_name`)."""
    items = [post_document(row, row.author_name) for row in rows]
    return encode({"items": items, "next_cursor": next_cursor})


def body_and_etag(post: Any, author_name: str) -> tuple[bytes, str]:
    body = encode(post_document(post, author_name))
    return body, etag_of(body)
