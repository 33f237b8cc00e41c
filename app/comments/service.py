"""Rules about comments: who may comment, read and delete."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Caller, Principal, is_admin
from app.comments import mails, repository
from app.config import Settings
from app.contract import CommentCreate
from app.db.pagination import Page, PageRequest
from app.db.reads import Reader, Transaction
from app.errors import Conflict, EmailNotVerified, Forbidden, NotFound
from app.jobs.queue import enqueue_mail
from app.posts import service as posts_service


async def list_visible(
    reader: Reader, viewer: Principal | None, post_id: uuid.UUID, page: PageRequest
) -> Page[Any]:
    await posts_service.read_visible(reader, viewer, post_id)
    return await repository.list_page(reader, post_id, page)


NOT_PUBLISHED = "Only published posts take comments."


async def create(
    transaction: Transaction,
    settings: Settings,
    author: Caller,
    post_id: uuid.UUID,
    body: CommentCreate,
) -> Any:
    """The comment, and in the same transaction the mail to the post's author."""
    if not author.email_verified:
        raise EmailNotVerified("Verify your email to comment: follow the link we mailed you.")
    comment = await _add(transaction, author, post_id, body)
    notify = await repository.author_to_notify(transaction, post_id, author.id)
    if notify is not None:
        mail = mails.new_comment(
            settings, notify.email, post_id, notify.title, author.display_name, body.body
        )
        await enqueue_mail(await transaction.driver_connection(), mail)
    return comment


async def _add(writer: Reader, author: Principal, post_id: uuid.UUID, body: CommentCreate) -> Any:
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
