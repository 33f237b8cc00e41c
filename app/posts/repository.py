"""Every SQL statement about posts, and the one rendering of a post.

A post reaches clients only as the JSON document PostgreSQL renders (`document_sql`): lists,
the single read, and the answers of writes (which return it from the same statement that
writes). One rendering means one place where a contract field can be forgotten, and
tests/test_post_representation.py holds its field set to the contract's `Post`. PostgreSQL
renders it because decoding eleven columns per row and encoding them again in Python cost more
than the rest of a list request; one JSON text per row is cheap to pass through.
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Label,
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
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Post, User
from app.db.models.post import PUBLISHED
from app.db.pagination import Page, PageRequest, fetch_page
from app.db.reads import Reader


def _sql_time(column: str) -> str:
    """`column` (timestamptz) in pydantic's JSON form: UTC, `Z`, microseconds unless zero."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, CASE WHEN date_trunc('second', {utc}) = {utc}"
        """ THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
    )


# SQL built from this module's own constant names (no input reaches it).
# ruff: noqa: S608
def document_fields(posts: str = "posts", users: str = "users") -> dict[str, str]:
    """The contract's `Post` fields, in its order, each as SQL over a `posts` row and its
    author's `users` row (named `posts` and `users` in the enclosing query)."""
    return {
        "id": f"{posts}.id",
        "slug": f"{posts}.slug",
        "title": f"{posts}.title",
        "body": f"{posts}.body",
        "tags": f"{posts}.tags",
        "status": f"{posts}.status",
        "author": f"(SELECT row_to_json(a) FROM (SELECT {users}.id, {users}.display_name) AS a)",
        "created_at": _sql_time(f"{posts}.created_at"),
        "updated_at": _sql_time(f"{posts}.updated_at"),
        "published_at": _sql_time(f"{posts}.published_at"),
        "comment_count": f"{posts}.comment_count",
    }


def document_sql(posts: str = "posts", users: str = "users") -> str:
    """A post as JSON text: row_to_json writes compact JSON with the keys in select order,
    escaping as orjson and pydantic do (timestamps are formatted to match)."""
    fields = ", ".join(f"{sql} AS {name}" for name, sql in document_fields(posts, users).items())
    return f"(SELECT row_to_json(d)::text FROM (SELECT {fields}) AS d)"


_POSTS, _USERS = Post.__table__.c, User.__table__.c
_DOCUMENT: Label[str] = literal_column(document_sql()).label("document")
_WITH_AUTHOR = (Post.__table__, User.__table__, _USERS.id == _POSTS.author_id)
# What the rules need beside the document: whose post it is and whether it is published.
_STATE_AND_DOCUMENT = select(_POSTS.id, _POSTS.author_id, _POSTS.status, _DOCUMENT).join_from(
    *_WITH_AUTHOR
)
_ONE = _STATE_AND_DOCUMENT.where(_POSTS.id == bindparam("post_id"))
_ONE_LOCKED = _ONE.with_for_update(of=Post.__table__)
# Lists select the document and nothing else: the one sort key a cursor needs is read back
# from its row's document (`_document_key`). Selecting the key columns beside it cost 30-50 µs
# per page to decode, for 21 rows of which one is used.
_DOCUMENTS: Select[str] = select(_DOCUMENT).join_from(*_WITH_AUTHOR)
# Literal predicates, not bound parameters: only then can PostgreSQL prove that the partial
# indexes on published posts apply (prepared statements use generic plans).
_STATUS = {("published",): PUBLISHED, ("draft",): text("status = 'draft'")}
PostRow = Row[*tuple[Any, ...]]  # id, author_id, status, document


@dataclass(frozen=True, slots=True)
class PostFilters:
    author_id: uuid.UUID | None = None
    tag: str | None = None
    query: str | None = None
    statuses: tuple[str, ...] = ("published",)


@dataclass(frozen=True, slots=True)
class NewPost:
    author_id: uuid.UUID
    slug: str
    title: str
    body: str
    tags: list[str]


async def get(reader: Reader, post_id: uuid.UUID) -> PostRow | None:
    """The post's id, author_id, status and document, for reading only."""
    rows = await reader.fetch(_ONE, {"post_id": post_id})
    return rows[0] if rows else None


async def get_locked(session: AsyncSession, post_id: uuid.UUID) -> PostRow | None:
    """`get`, locking the post for the rest of the transaction: writers of one post are
    serialized, so an If-Match check and the write after it see the same version."""
    return (await session.execute(_ONE_LOCKED, {"post_id": post_id})).one_or_none()


async def insert_unless_slug_taken(session: AsyncSession, post: NewPost) -> PostRow | None:
    """Insert the post and read it back, in one statement; None when the slug is taken
    (before, or by a concurrent insert that won)."""
    created = (
        insert(Post)
        .values(id=uuid.uuid4(), **asdict(post))
        .on_conflict_do_nothing(index_elements=[_POSTS.slug])
        .returning(*(column for column in _POSTS if column.key != "search"))
        .cte("created")
    )
    users = User.__table__.alias("author")
    document: Label[str] = literal_column(document_sql("created", "author")).label("document")
    statement = select(created.c.id, created.c.author_id, created.c.status, document).join_from(
        created, users, users.c.id == created.c.author_id
    )
    return (await session.execute(statement)).one_or_none()


async def change(session: AsyncSession, post_id: uuid.UUID, values: dict[str, Any]) -> str:
    """Set `values` (and `updated_at`) on the post; its new document, in one statement."""
    statement = (
        update(Post)
        .where(_POSTS.id == post_id, _USERS.id == _POSTS.author_id)
        .values(**values, updated_at=func.now())
        .returning(_DOCUMENT)
    )
    document: str = (await session.execute(statement)).scalar_one()
    return document


async def set_status(session: AsyncSession, post_id: uuid.UUID, status: str) -> str:
    """Publish (stamped with the transaction's time) or unpublish; the new document."""
    published_at = func.now() if status == "published" else None
    return await change(session, post_id, {"status": status, "published_at": published_at})


async def remove(session: AsyncSession, post_id: uuid.UUID) -> None:
    await session.execute(delete(Post).where(Post.id == post_id))


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


async def list_page(reader: Reader, filters: PostFilters, page: PageRequest) -> Page[Any]:
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
