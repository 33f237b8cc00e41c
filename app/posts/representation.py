"""Posts as the contract shows them, and their ETags."""

from typing import Any

from app import contract
from app.db.models import Post
from app.http.etag import etag_of
from app.http.responses import json_bytes


def to_contract(post: Any, author_name: str) -> contract.Post:
    """A `Post` entity or a list row with the same attribute names.

    Constructed, not validated: the database's constraints already hold every rule, and this
    runs for each item of every page. tests/ and Schemathesis check the shape against the spec.
    """
    return contract.Post.model_construct(
        id=post.id,
        slug=post.slug,
        title=post.title,
        body=post.body,
        tags=[contract.Tag.model_construct(tag) for tag in post.tags],
        status=contract.PostStatus(post.status),
        author=contract.AuthorSummary.model_construct(id=post.author_id, display_name=author_name),
        created_at=post.created_at,
        updated_at=post.updated_at,
        published_at=post.published_at,
        comment_count=post.comment_count,
    )


def body_and_etag(post: Post, author_name: str) -> tuple[bytes, str]:
    body = json_bytes(to_contract(post, author_name))
    return body, etag_of(body)
