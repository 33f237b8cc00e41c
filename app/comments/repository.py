"""Every SQL statement about comments."""

import uuid
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment, User
from app.db.reads import Reader
from app.http.pagination import Page, PageRequest, fetch_page


def _with_author() -> Select[Comment, str]:
    return select(Comment, User.display_name).join(User, User.id == Comment.author_id)


# Lists read plain rows (with `author_name`), and one statement object serves every post
# (bound post_id), so its paged form is built once.
_COMMENTS = Comment.__table__.c
_ON_POST = (
    select(
        _COMMENTS.id,
        _COMMENTS.post_id,
        _COMMENTS.author_id,
        _COMMENTS.body,
        _COMMENTS.created_at,
        User.__table__.c.display_name.label("author_name"),
    )
    .join_from(Comment.__table__, User.__table__, User.__table__.c.id == _COMMENTS.author_id)
    .where(_COMMENTS.post_id == bindparam("post_id"))
)


async def get_on_post(
    session: AsyncSession, post_id: uuid.UUID, comment_id: uuid.UUID
) -> Comment | None:
    statement = select(Comment).where(Comment.id == comment_id, Comment.post_id == post_id)
    return (await session.scalars(statement)).one_or_none()


async def list_page(reader: Reader, post_id: uuid.UUID, page: PageRequest) -> Page[Any]:
    key = (_COMMENTS.created_at, _COMMENTS.id)
    return await fetch_page(reader, _ON_POST, page, key, {"post_id": post_id})


async def add(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    await session.flush()
    await session.refresh(comment)
    return comment


async def remove(session: AsyncSession, comment: Comment) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment.id))
