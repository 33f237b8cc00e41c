"""Every SQL statement about posts."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Comment, Post, User
from app.db.models.post import PUBLISHED
from app.db.reads import Reader
from app.http.pagination import Page, PageRequest, fetch_page
from app.posts.representation import COLUMNS, DOCUMENT_SQL

SLUG_CONSTRAINT = "uq_posts_slug"


@dataclass(frozen=True, slots=True)
class PostFilters:
    author_id: uuid.UUID | None = None
    tag: str | None = None
    query: str | None = None
    statuses: tuple[str, ...] = ("published",)


def _with_author() -> Select[Post, str]:
    return select(Post, User.display_name).join(User, User.id == Post.author_id)


# Reads select table columns (Core), not ORM entities, and run on the read pool
# (app.db.reads): nothing read is changed, so the ORM's loading machinery would be pure cost.
# Statements are built once per shape; values are bound per request.
_POSTS, _USERS = Post.__table__.c, User.__table__.c
_LIST = select(
    *(_POSTS[name] for name in COLUMNS[:-1]), _USERS.display_name.label(COLUMNS[-1])
).join_from(Post.__table__, User.__table__, _USERS.id == _POSTS.author_id)
_ONE = _LIST.where(_POSTS.id == bindparam("post_id"))
# Lists: each post rendered as JSON by PostgreSQL, and nothing else: the one sort key a cursor
# needs is read back from its row's document (`_document_key`). Selecting the key columns
# beside it cost 30-50 µs per page to decode, for 21 rows of which one is used.
_DOCUMENTS: Select[str] = select(literal_column(DOCUMENT_SQL).label("document")).join_from(
    Post.__table__, User.__table__, _USERS.id == _POSTS.author_id
)
# Literal predicates, not bound parameters: only then can PostgreSQL prove that the partial
# indexes on published posts apply (prepared statements use generic plans).
_STATUS = {("published",): PUBLISHED, ("draft",): text("status = 'draft'")}
ListRow = Row[*tuple[Any, ...]]


async def get_with_author(
    session: AsyncSession, post_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Post, str] | None:
    statement = _with_author().where(Post.id == post_id)
    if for_update:
        # Serializes writers of one post: the If-Match check and the write see the same row.
        statement = statement.with_for_update(of=Post)
    row = (await session.execute(statement)).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def get_row(reader: Reader, post_id: uuid.UUID) -> ListRow | None:
    """The post as a plain row (with `author_name`), for reading only."""
    rows = await reader.fetch(_ONE, {"post_id": post_id})
    return rows[0] if rows else None


def sort_key(filters: PostFilters) -> ColumnElement[Any]:
    """Published lists follow publication time; lists with drafts follow creation time."""
    return _POSTS.published_at if filters.statuses == ("published",) else _POSTS.created_at


@lru_cache(maxsize=64)
def _list_statement(
    statuses: tuple[str, ...], by_author: bool, by_tag: bool, by_query: bool
) -> Select[*tuple[Any, ...]]:
    # Both statuses are every post: no predicate.
    statement = _DOCUMENTS.where(_STATUS[statuses]) if statuses in _STATUS else _DOCUMENTS
    if by_author:
        statement = statement.where(_POSTS.author_id == bindparam("author_id"))
    if by_tag:
        statement = statement.where(_POSTS.tags.contains(bindparam("tags", type_=_POSTS.tags.type)))
    if by_query:
        query = func.websearch_to_tsquery("english", bindparam("query"))
        statement = statement.where(_POSTS.search.bool_op("@@")(query))
    return statement


async def list_page(reader: Reader, filters: PostFilters, page: PageRequest) -> Page[ListRow]:
    """One page of posts as JSON documents (`document`), in one query."""
    statement = _list_statement(
        filters.statuses,
        filters.author_id is not None,
        filters.tag is not None,
        filters.query is not None,
    )
    params = {"author_id": filters.author_id, "tags": [filters.tag], "query": filters.query}
    time = sort_key(filters)
    key_of = partial(_document_key, str(time.key))
    return await fetch_page(reader, statement, page, (time, _POSTS.id), params, key_of)


def _document_key(time_field: str, row: Any) -> tuple[datetime, uuid.UUID]:
    """A listed post's sort key (time, id), read from its document."""
    document = orjson.loads(row.document)
    return datetime.fromisoformat(document[time_field]), uuid.UUID(document["id"])


async def add_unless_slug_taken(session: AsyncSession, post: Post) -> Post | None:
    """Insert the post; None when its slug was taken meanwhile (a concurrent insert won)."""
    try:
        async with session.begin_nested():  # a savepoint: the failed insert leaves no trace
            session.add(post)
            await session.flush()
    except IntegrityError as error:
        if SLUG_CONSTRAINT not in str(error.orig):
            raise
        return None
    await session.refresh(post)  # server defaults: timestamps, counters
    return post


async def save(session: AsyncSession, post: Post) -> Post:
    post.updated_at = func.now()
    await session.flush()
    await session.refresh(post)
    return post


async def remove(session: AsyncSession, post: Post) -> None:
    await session.execute(delete(Post).where(Post.id == post.id))


async def discount_comments_by(session: AsyncSession, author_id: uuid.UUID) -> None:
    """Lower every post's comment_count by the comments `author_id` left on it, in one
    statement (before those comments are deleted with their author)."""
    per_post = (
        select(Comment.post_id, func.count().label("comments"))
        .where(Comment.author_id == author_id)
        .group_by(Comment.post_id)
        .subquery()
    )
    await session.execute(
        update(Post)
        .where(Post.id == per_post.c.post_id)
        .values(comment_count=Post.comment_count - per_post.c.comments)
    )


async def change_comment_count(session: AsyncSession, post_id: uuid.UUID, delta: int) -> None:
    await session.execute(
        update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count + delta)
    )
