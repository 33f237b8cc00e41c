"""Every SQL statement about comments."""

import uuid

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment, User
from app.http.pagination import PageRequest, keyset


def _with_author() -> Select[Comment, str]:
    return select(Comment, User.display_name).join(User, User.id == Comment.author_id)


# One statement object for every post (bound post_id), so its paged form is built once.
_ON_POST = _with_author().where(Comment.post_id == bindparam("post_id"))


async def get_on_post(
    session: AsyncSession, post_id: uuid.UUID, comment_id: uuid.UUID
) -> Comment | None:
    statement = select(Comment).where(Comment.id == comment_id, Comment.post_id == post_id)
    return (await session.scalars(statement)).one_or_none()


async def list_page(
    session: AsyncSession, post_id: uuid.UUID, page: PageRequest, secret: str
) -> list[tuple[Comment, str]]:
    paged, params = keyset(_ON_POST, page, secret, (Comment.created_at, Comment.id))
    rows = await session.execute(paged, {**params, "post_id": post_id})
    return [(row[0], row[1]) for row in rows]


async def add(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    await session.flush()
    await session.refresh(comment)
    return comment


async def remove(session: AsyncSession, comment: Comment) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment.id))


async def count_by_post_for_author(
    session: AsyncSession, author_id: uuid.UUID
) -> list[tuple[uuid.UUID, int]]:
    """How many comments the author left on each post (to fix counts before deleting them)."""
    statement = (
        select(Comment.post_id, func.count())
        .where(Comment.author_id == author_id)
        .group_by(Comment.post_id)
    )
    return [(row[0], int(row[1])) for row in await session.execute(statement)]
