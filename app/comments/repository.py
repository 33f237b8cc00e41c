"""Every SQL statement about comments. A post's `comment_count` follows its comment rows by
itself (a trigger, migration 0003), so nothing here touches posts."""

import uuid
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, select
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


# INSERT ... SELECT from the post, so the post's state is checked by the insert itself; built
# once, values bound per call.
_ADD_TO_PUBLISHED = (
    insert(cast(Table, Comment.__table__))  # Core: the ORM would treat params as bulk rows
    .from_select(
        [column.key for column in _COLUMNS],
        select(*(bindparam(column.key, type_=column.type) for column in _COLUMNS)).where(
            _POSTS.id == bindparam("post_id"), _POSTS.status == "published"
        ),
    )
    .returning(*_COLUMNS, _COMMENTS.created_at)
)


async def add_to_published(
    writer: Reader, post_id: uuid.UUID, author_id: uuid.UUID, body: str
) -> Any | None:
    """Insert the comment if the post is published, in one statement; None otherwise. The row
    has the `CommentRow` columns."""
    params = {"id": uuid.uuid4(), "post_id": post_id, "author_id": author_id, "body": body}
    rows = await writer.fetch(_ADD_TO_PUBLISHED, params)
    return rows[0] if rows else None


# Whom a new comment on a post is mailed to: the post's author, when they want such mails.
_TO_NOTIFY = (
    select(_POSTS.title, User.__table__.c.email)
    .join_from(Post.__table__, User.__table__, User.__table__.c.id == _POSTS.author_id)
    .where(
        _POSTS.id == bindparam("post_id"),
        _POSTS.author_id != bindparam("commenter_id"),
        User.__table__.c.notify_on_comment,
    )
)


async def author_to_notify(
    reader: Reader, post_id: uuid.UUID, commenter_id: uuid.UUID
) -> Any | None:
    """The post's `title` and its author's `email`, unless the author is the commenter or
    opted out of comment mails."""
    rows = await reader.fetch(_TO_NOTIFY, {"post_id": post_id, "commenter_id": commenter_id})
    return rows[0] if rows else None


async def get_on_post(
    session: AsyncSession, post_id: uuid.UUID, comment_id: uuid.UUID
) -> CommentRow | None:
    statement = select(*_COLUMNS).where(_COMMENTS.id == comment_id, _COMMENTS.post_id == post_id)
    return (await session.execute(statement)).one_or_none()


# A page of comments stops early rather than pass PAGE_BYTES: a comment's JSON is at most its
# body and author name with every character escaped to 6 bytes (`\u0001`), plus its ids,
# time and keys. So no answer exceeds 1 MB (a full page of the longest comments would be 3 MB).
PAGE_BYTES = 900_000
_FIXED_BYTES = 200


def _worst_case_bytes(row: Any) -> int:
    return _FIXED_BYTES + 6 * (len(row.body) + len(row.author_name))


async def list_page(reader: Reader, post_id: uuid.UUID, page: PageRequest) -> Page[Any]:
    key = (_COMMENTS.created_at, _COMMENTS.id)
    budget = (PAGE_BYTES, _worst_case_bytes)
    return await fetch_page(reader, _ON_POST, page, key, {"post_id": post_id}, budget=budget)


async def remove(session: AsyncSession, comment_id: uuid.UUID) -> None:
    await session.execute(delete(Comment).where(Comment.id == comment_id))
