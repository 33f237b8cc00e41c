"""Keyset (cursor) pagination: opaque, signed cursors bound to the list they came from.

A cursor carries the sort key of the last row of a page. The next page is "rows after that key"
in index order, so a deep page costs what the first does, and rows inserted meanwhile neither
repeat nor vanish. The signature makes a tampered cursor, or one from another list or other
filters, a 400 instead of a silently wrong page.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import Query
from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlalchemy.orm import QueryableAttribute

from app.errors import BadRequest

LimitQuery = Annotated[int, Query(ge=1, le=100)]
CursorQuery = Annotated[str | None, Query(min_length=1, max_length=512)]
SortQuery = Annotated[Literal["newest", "oldest"], Query()]

Row = TypeVar("Row")
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])

INVALID_CURSOR = "The cursor is not valid for this list: start again without it."


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a list handler received: its size, cursor and the identity of the list."""

    limit: int
    cursor: str | None
    newest_first: bool
    # Everything that defines the list (endpoint, filters, sort); a cursor only fits its list.
    scope: str


def _sign(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(secret: str, scope: str, key: tuple[datetime, UUID]) -> str:
    payload = json.dumps([key[0].isoformat(), str(key[1])], separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_sign(secret, scope.encode() + b'|' + payload)}"


def decode_cursor(secret: str, scope: str, cursor: str) -> tuple[datetime, UUID]:
    try:
        body, signature = cursor.split(".", 1)
        payload = _b64decode(body)
        if not hmac.compare_digest(signature, _sign(secret, scope.encode() + b"|" + payload)):
            raise ValueError("signature")
        moment, row_id = json.loads(payload)
        return datetime.fromisoformat(moment), UUID(row_id)
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise BadRequest(INVALID_CURSOR) from error


Key = tuple[
    ColumnElement[Any] | QueryableAttribute[Any], ColumnElement[Any] | QueryableAttribute[Any]
]


@lru_cache(maxsize=256)
def _paged(statement: SelectT, key: Key, newest_first: bool, after_cursor: bool) -> SelectT:
    """The statement ordered by `key`, resuming after bound values; built once per shape.

    Statements are immutable, and the unfiltered lists pass the same module-level statement
    every time, so their hot path skips SQLAlchemy's (costly) statement construction.
    """
    if after_cursor:
        after = tuple_(
            bindparam("after_time", type_=key[0].type), bindparam("after_id", type_=key[1].type)
        )
        statement = statement.where(tuple_(*key) < after if newest_first else tuple_(*key) > after)
    order = [column.desc() if newest_first else column.asc() for column in key]
    return statement.order_by(*order).limit(bindparam("page_rows"))


def keyset(
    statement: SelectT, page: PageRequest, secret: str, key: Key
) -> tuple[SelectT, dict[str, Any]]:
    """Order by `key` (time, id), resume after the cursor, and fetch one row more than a page.

    Returns the statement and the parameters to execute it with.
    """
    params: dict[str, Any] = {"page_rows": page.limit + 1}
    if page.cursor is not None:
        params["after_time"], params["after_id"] = decode_cursor(secret, page.scope, page.cursor)
    return _paged(statement, key, page.newest_first, page.cursor is not None), params


def split_page(
    rows: Sequence[Row],
    page: PageRequest,
    secret: str,
    key_of: Callable[[Row], tuple[datetime, UUID]],
) -> tuple[Sequence[Row], str | None]:
    """The page's rows and the cursor of the next page (None on the last page)."""
    if len(rows) <= page.limit:
        return rows, None
    items = rows[: page.limit]
    return items, encode_cursor(secret, page.scope, key_of(items[-1]))
