"""Posts as the contract shows them, and their ETags."""

from app import contract
from app.db.models import Post
from app.http.etag import etag_of
from app.http.responses import json_bytes


def to_contract(post: Post, author_name: str) -> contract.Post:
    return contract.Post.model_validate(
        {
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
    )


def body_and_etag(post: Post, author_name: str) -> tuple[bytes, str]:
    body = json_bytes(to_contract(post, author_name))
    return body, etag_of(body)
