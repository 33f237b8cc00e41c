"""Every SQL statement about comments. A post's `comment_count` follows its comment rows by
itself (a trigger, migration 0003), so nothing here touches posts."""

import uuid
from typing import Any

from sqlalchemy import Row, bindparam, delete, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment, Post, User
from app.db.pagination import Page, PageRequest, fetch_page
from app.db.reads import Reader

_COMMENTS, _POSTS = Comment.__table__.c, Post.__table__.c
_COLUMNS = (_COMMENTS.id, _COMMENTS.post_id, _COMMENTS.author_id, _COMMENTS.body)
# Lists read plain rows (with `author_name`), and one statement object serves every post
# (bound post_id), so its paged form is built once.
_ON_POST = (
    select(*_COLUMNS, _COMMENTS.created_at, User.__table__.c.display_name.label("author_name"))
    .join_from(Comment.__table__, User.__table__, User.__table__.c.id == _COMMENTS.author_id)
    .where(_COMMENTS.post_id == bindparam("post_id"))
)
CommentRow = Row[*tuple[Any, ...]]  # id, post_id, author_id, body, created_at


async def add_to_published(
    session: AsyncSession, post_id: uuid.UUID, author_id: uuid.UUID, body: str
) -> CommentRow | None:
    """Insert the comment if the post is published, in one statement; None otherwise."""
    published = select(literal(uuid.uuid4()), _POSTS.id, literal(author_id), literal(body)).where(
        _POSTS.id == post_id, _POSTS.status == "published"
    )
    statement = (
        insert(Comment)
        .from_select([column.key for column in _COLUMNS], published)
        .returning(*_COLUMNS, _COMMENTS.created_at)
    )
    return (await session.execute(statement)).one_or_none()


async def get_on_post(
    session: AsyncSession, post_id: uuid.UUID, comment_id: uuid.UUID
) -> CommentRow | None:
    statement = select(*_COLUMNS).where(_COMMENTS.id == comment_id, _COMMENTS.post_id == post_id)
    return (await session.execute(statement)).one_or_none()


async def list_page(reader: Reader, post_id: uuid.UUID, page: PageRequest) -> Page[Any]:
    key = (_COMMENTS.created_at, _COMMENTS.id)
    return await fetch_page(reader, _ON_POST, page, key, {"post_id": post_id})


async def remove(session: AsyncSession, comment_id: uuid.UUID) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment_id))
