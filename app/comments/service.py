"""Rules about comments: who may comment, read and delete."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Principal, is_admin
from app.comments import repository
from app.contract import CommentCreate
from app.db.pagination import Page, PageRequest
from app.db.reads import Reader
from app.errors import Conflict, Forbidden, NotFound
from app.posts import service as posts_service


async def list_visible(
    reader: Reader, viewer: Principal | None, post_id: uuid.UUID, page: PageRequest
) -> Page[Any]:
    await posts_service.read_visible(reader, viewer, post_id)
    return await repository.list_page(reader, post_id, page)


NOT_PUBLISHED = "Only published posts take comments."


async def create(writer: Reader, author: Principal, post_id: uuid.UUID, body: CommentCreate) -> Any:
    """The common case is one statement; only a refusal looks at the post to say why (404 for
    a post the author cannot see, 409 for a draft). A post published between the two looks
    takes the comment; one unpublished again by then refuses it."""
    comment = await repository.add_to_published(writer, post_id, author.id, body.body)
    if comment is not None:
        return comment
    post = await posts_service.read_visible(writer, author, post_id)
    if post.status == "published":
        comment = await repository.add_to_published(writer, post_id, author.id, body.body)
    if comment is None:
        raise Conflict(NOT_PUBLISHED)
    return comment


async def delete(
    session: AsyncSession, viewer: Principal, post_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    # The post is locked first, as every writer of the post does: a comment deleted here and
    # the same comment deleted with its author (cascade) cannot wait on each other in a cycle.
    post = await posts_service.get_visible_locked(session, viewer, post_id)
    comment = await repository.get_on_post(session, post_id, comment_id)
    if comment is None:
        raise NotFound("No comment with this id on this post.")
    if viewer.id not in (comment.author_id, post.author_id) and not is_admin(viewer):
        raise Forbidden("Only the comment's author, the post's author or an admin may delete it.")
    await repository.remove(session, comment_id)
