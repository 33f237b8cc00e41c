"""Posts as answers: a post's document (rendered by PostgreSQL, app.posts.repository) with its
strong ETag, and pages assembled from summary documents without parsing them again."""

from collections.abc import Iterable

import orjson

from app.http.etag import etag_of


def page_body(documents: Iterable[str], next_cursor: str | None) -> bytes:
    """A `PostPage` from summary documents (`PostSummary`)."""
    items = ",".join(documents).encode()
    return b'{"items":[' + items + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"


def body_and_etag(document: str) -> tuple[bytes, str]:
    body = document.encode()
    return body, etag_of(body)
