"""Every SQL statement about posts, and the renderings of a post.

A post reaches clients only as JSON that PostgreSQL renders from one table of fields
(`document_fields`): the whole post (`document_sql`, the contract's `Post`) for the single read
and the answers of writes (which return it from the same statement that writes), and its
summary (`summary_sql`, the contract's `PostSummary`: the same fields with the body replaced by
a bounded excerpt) for lists, so that no page grows with the bodies on it. One field table means
one place where a contract field can be forgotten, and tests/test_post_representation.py holds
both renderings to their contract models. PostgreSQL renders them because decoding eleven
columns per row and encoding them again in Python cost more than the rest of a list request;
one JSON text per row is cheap to pass through.
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


# The contract's `PostExcerpt`: a body longer than this many characters is cut to them and
# ends with the ellipsis.
EXCERPT_LENGTH = 280
ELLIPSIS = "\u2026"


def _sql_excerpt(body: str) -> str:
    """`body`'s excerpt. left() and char_length() count characters (code points, in the UTF8
    database) as the contract does, and only a prefix of the body is read: PostgreSQL slices a
    stored value for left(), so a long body is not read whole to list it."""
    head = f"left({body}, {EXCERPT_LENGTH + 1})"
    cut = f"left({body}, {EXCERPT_LENGTH}) || '{ELLIPSIS}'"
    return f"(CASE WHEN char_length({head}) > {EXCERPT_LENGTH} THEN {cut} ELSE {head} END)"


def summary_fields(posts: str = "posts", users: str = "users") -> dict[str, str]:
    """The contract's `PostSummary` fields, in its order: the post's fields, with `body`
    replaced in its place by `excerpt`."""
    summary = {}
    for name, sql in document_fields(posts, users).items():
        if name == "body":
            name, sql = "excerpt", _sql_excerpt(sql)
        summary[name] = sql
    return summary


def _json_sql(fields: dict[str, str]) -> str:
    """Named SQL fields as JSON text: row_to_json writes compact JSON with the keys in select
    order, escaping as orjson and pydantic do (timestamps are formatted to match)."""
    columns = ", ".join(f"{sql} AS {name}" for name, sql in fields.items())
    return f"(SELECT row_to_json(d)::text FROM (SELECT {columns}) AS d)"


def document_sql(posts: str = "posts", users: str = "users") -> str:
    """A post as JSON text (the contract's `Post`)."""
    return _json_sql(document_fields(posts, users))


def summary_sql(posts: str = "posts", users: str = "users") -> str:
    """A post's summary as JSON text (the contract's `PostSummary`), for lists."""
    return _json_sql(summary_fields(posts, users))


_POSTS, _USERS = Post.__table__.c, User.__table__.c
_DOCUMENT: Label[str] = literal_column(document_sql()).label("document")
# Lists read their rows' JSON as `document` too: a summary document.
_SUMMARY: Label[str] = literal_column(summary_sql()).label("document")
_WITH_AUTHOR = (Post.__table__, User.__table__, _USERS.id == _POSTS.author_id)
# What the rules need beside the document: whose post it is and whether it is published.
_STATE_AND_DOCUMENT = select(_POSTS.id, _POSTS.author_id, _POSTS.status, _DOCUMENT).join_from(
    *_WITH_AUTHOR
)
_ONE = _STATE_AND_DOCUMENT.where(_POSTS.id == bindparam("post_id"))
_ONE_LOCKED = _ONE.with_for_update(of=Post.__table__)
# Lists select the summary and nothing else: the one sort key a cursor needs is read back
# from its row's summary (`_document_key`), which keeps every time and the id. Selecting the
# key columns beside it cost 30-50 µs per page to decode, for 21 rows of which one is used.
_SUMMARIES: Select[str] = select(_SUMMARY).join_from(*_WITH_AUTHOR)
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


def _insert_statement() -> Select[*tuple[Any, ...]]:
    """INSERT ... ON CONFLICT (slug) DO NOTHING, reading the new post back as a `PostRow`.
    Built once, values bound per call: building a CTE's column collections cost more CPU per
    create than the rest of the request."""
    created = (
        insert(Post)
        .values({name: _bound(name) for name in ("id", *NewPost.__slots__)})
        .on_conflict_do_nothing(index_elements=[_POSTS.slug])
        .returning(*(column for column in _POSTS if column.key != "search"))
        .cte("created")
    )
    users = User.__table__.alias("author")
    document: Label[str] = literal_column(document_sql("created", "author")).label("document")
    return select(created.c.id, created.c.author_id, created.c.status, document).join_from(
        created, users, users.c.id == created.c.author_id
    )


def _bound(column: str) -> Any:
    return bindparam(column, type_=_POSTS[column].type)


_INSERT = _insert_statement()


async def insert_unless_slug_taken(writer: Reader, post: NewPost) -> PostRow | None:
    """Insert the post and read it back, in one statement; None when the slug is taken
    (before, or by a concurrent insert that won)."""
    rows = await writer.fetch(_INSERT, {"id": uuid.uuid4(), **asdict(post)})
    return rows[0] if rows else None


@lru_cache(maxsize=32)
def _change_statement(names: tuple[str, ...], publishing: bool | None) -> Any:
    """UPDATE of the named columns (and `updated_at`; `published_at` when the status changes)
    returning the new document; one statement object per shape, values bound per call."""
    values: dict[str, Any] = {name: _bound(name) for name in names}
    if publishing is not None:
        values["published_at"] = func.now() if publishing else None
    return (
        update(Post)
        .where(_POSTS.id == bindparam("post_id"), _USERS.id == _POSTS.author_id)
        .values(**values, updated_at=func.now())
        .returning(_DOCUMENT)
    )


async def change(session: AsyncSession, post_id: uuid.UUID, values: dict[str, Any]) -> str:
    """Set `values` (and `updated_at`) on the post; its new document, in one statement."""
    statement = _change_statement(tuple(sorted(values)), None)
    return await _changed(session, statement, {**values, "post_id": post_id})


async def set_status(session: AsyncSession, post_id: uuid.UUID, status: str) -> str:
    """Publish (stamped with the transaction's time) or unpublish; the new document."""
    statement = _change_statement(("status",), status == "published")
    return await _changed(session, statement, {"status": status, "post_id": post_id})


async def _changed(session: AsyncSession, statement: Any, params: dict[str, Any]) -> str:
    document: str = (await session.execute(statement, params)).scalar_one()
    return document


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
    statement = _SUMMARIES.where(_STATUS[statuses]) if statuses in _STATUS else _SUMMARIES
    if by_author:
        statement = statement.where(_POSTS.author_id == bindparam("author_id"))
    if by_tag:
        statement = statement.where(_POSTS.tags.contains(bindparam("tags", type_=_POSTS.tags.type)))
    if by_query:
        query = func.websearch_to_tsquery("english", bindparam("query"))
        statement = statement.where(_POSTS.search.bool_op("@@")(query))
    return statement


async def list_page(reader: Reader, filters: PostFilters, page: PageRequest) -> Page[Any]:
    """One page of posts as summary documents (`document`, a `PostSummary`), in one query.
    `query` searches the whole title and body, not the excerpt."""
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
    """A listed post's sort key (time, id), read from its summary document."""
    document = orjson.loads(row.document)
    return datetime.fromisoformat(document[time_field]), uuid.UUID(document["id"])
