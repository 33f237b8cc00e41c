"""Posts as the contract shows them (`Post`, `PostPage`), and their ETags.

A single post is serialized with orjson from plain values (no pydantic model per request).
Pages are rendered by PostgreSQL (`DOCUMENT_SQL`): decoding twenty rows of eleven columns and
encoding them again cost more than the rest of the request, while one JSON text per row is
cheap to pass through. Both renderings follow the generated `app.contract.Post` field by
field, byte for byte; tests/test_post_representation.py holds them equal to the contract
model's own serialization and to each other.
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


def _sql_time(column: str) -> str:
    """`column` (timestamptz) in pydantic's JSON form: UTC, `Z`, microseconds unless zero."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, CASE WHEN date_trunc('second', {utc}) = {utc}"
        """ THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
    )


# A post as JSON text, from the `posts` and `users` rows of the enclosing query: row_to_json
# writes compact JSON with the keys in select order, escaping as orjson and pydantic do.
DOCUMENT_SQL = f"""(SELECT row_to_json(d)::text FROM (SELECT
  posts.id, posts.slug, posts.title, posts.body, posts.tags, posts.status,
  (SELECT row_to_json(a) FROM (SELECT users.id, users.display_name) AS a) AS author,
  {_sql_time("posts.created_at")} AS created_at,
  {_sql_time("posts.updated_at")} AS updated_at,
  {_sql_time("posts.published_at")} AS published_at,
  posts.comment_count) AS d)"""  # noqa: S608 (constant SQL: no input reaches it)


def row_document(row: Sequence[Any]) -> dict[str, Any]:
    """A read row (the values of `COLUMNS`, in order) as the contract's `Post`."""
    return _document(*row)


def post_document(post: Post, author_name: str) -> dict[str, Any]:
    """A `Post` entity as the contract's `Post`."""
    return row_document([*(getattr(post, name) for name in COLUMNS[:-1]), author_name])


def encode(document: dict[str, Any]) -> bytes:
    # OPT_UTC_Z writes UTC as `Z`, exactly as pydantic does for the contract models.
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def page_body(documents: Iterable[str], next_cursor: str | None) -> bytes:
    """A `PostPage` from posts rendered by `DOCUMENT_SQL`."""
    items = ",".join(documents).encode()
    return b'{"items":[' + items + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"


def body_and_etag(document: dict[str, Any]) -> tuple[bytes, str]:
    body = encode(document)
    return body, etag_of(body)
