"""Rules about comments: who may comment, read and delete."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Principal, is_admin
from app.comments import repository
from app.contract import CommentCreate
from app.db.models import Comment, User
from app.db.reads import Reader
from app.errors import Conflict, Forbidden, NotFound
from app.http.pagination import Page, PageRequest
from app.posts import repository as posts_repository
from app.posts import service as posts_service


async def list_visible(
    reader: Reader, viewer: Principal | None, post_id: uuid.UUID, page: PageRequest
) -> Page[Any]:
    await posts_service.read_visible(reader, viewer, post_id)
    return await repository.list_page(reader, post_id, page)


async def create(
    session: AsyncSession, author: User, post_id: uuid.UUID, body: CommentCreate
) -> tuple[Comment, str]:
    # Locking the post orders concurrent comments and keeps its comment_count exact.
    post, _ = await posts_service.get_visible(session, author, post_id, for_update=True)
    if post.status != "published":
        raise Conflict("Only published posts take comments.")
    comment = await repository.add(
        session, Comment(post_id=post_id, author_id=author.id, body=body.body)
    )
    await posts_repository.change_comment_count(session, post_id, +1)
    return comment, author.display_name


async def delete(
    session: AsyncSession, viewer: User, post_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    post, _ = await posts_service.get_visible(session, viewer, post_id, for_update=True)
    comment = await repository.get_on_post(session, post_id, comment_id)
    if comment is None:
        raise NotFound("No comment with this id on this post.")
    if viewer.id not in (comment.author_id, post.author_id) and not is_admin(viewer):
        raise Forbidden("Only the comment's author, the post's author or an admin may delete it.")
    await repository.remove(session, comment)
    await posts_repository.change_comment_count(session, post_id, -1)
