"""Keyset (cursor) pagination: opaque, signed cursors bound to the list they came from.

A cursor carries the sort key of the last row of a page. The next page is "rows after that key"
in index order, so a deep page costs what the first does, and rows inserted meanwhile neither
repeat nor vanish. The signature makes a tampered cursor, or one from another list or other
filters, a 400 instead of a silently wrong page.
"""

import base64
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement, Select, bindparam, literal_column, tuple_
from sqlalchemy.orm import QueryableAttribute

from app.db.reads import Reader
from app.errors import BadRequest
from app.keys import Keyring

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
    # Sign the cursors (app.keys: the signing key signs, every verifying key verifies).
    keys: Keyring


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    items: Sequence[Row]
    next_cursor: str | None


def _sign(secret: bytes, payload: bytes) -> str:
    digest = hmac.digest(secret, payload, "sha256")[:16]  # one-shot: no HMAC object
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(keys: Keyring, scope: str, key: tuple[Any, ...]) -> str:
    payload = orjson.dumps([key[0].isoformat(), str(key[1])])
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_sign(keys.signing.secret, scope.encode() + b'|' + payload)}"


def decode_cursor(keys: Keyring, scope: str, cursor: str) -> tuple[datetime, UUID]:
    """The sort key a cursor carries; 400 for anything this server did not sign for this list,
    and for a signed key out of the database's range (only a leaked key could sign one)."""
    try:
        body, signature = cursor.split(".", 1)
        payload = _b64decode(body)
        signed = scope.encode() + b"|" + payload
        if not any(
            hmac.compare_digest(signature.encode(), _sign(key.secret, signed).encode())
            for key in keys.verifying
        ):
            raise ValueError("signature")
        moment, row_id = orjson.loads(payload)
        return _in_range(datetime.fromisoformat(moment)), UUID(row_id)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as error:
        raise BadRequest(INVALID_CURSOR) from error


def _in_range(moment: datetime) -> datetime:
    """An aware time that stays within years 1-9999 in UTC (as PostgreSQL compares it)."""
    if moment.tzinfo is None:
        raise ValueError("a cursor's time carries its offset")
    return moment.astimezone(UTC)  # OverflowError past year 1 or 9999


Key = tuple[
    ColumnElement[Any] | QueryableAttribute[Any], ColumnElement[Any] | QueryableAttribute[Any]
]


@lru_cache(maxsize=1024)
def _paged(
    statement: SelectT, key: Key, newest_first: bool, after_cursor: bool, rows: int
) -> SelectT:
    """The statement ordered by `key`, resuming after bound values; built once per shape.

    The row count is a literal, not a parameter: with `LIMIT $n`, PostgreSQL's generic plan for
    a prepared statement assumes a large result and costs more than a custom one, so it would
    re-plan every execution. Statements are immutable and the lists pass statements built once,
    so the hot path skips SQLAlchemy's statement construction and compilation.
    """
    if after_cursor:
        after = tuple_(
            bindparam("after_time", type_=key[0].type), bindparam("after_id", type_=key[1].type)
        )
        statement = statement.where(tuple_(*key) < after if newest_first else tuple_(*key) > after)
    order = [column.desc() if newest_first else column.asc() for column in key]
    return statement.order_by(*order).limit(literal_column(str(int(rows))))


async def fetch_page(
    reader: Reader,
    statement: Select[*tuple[Any, ...]],
    page: PageRequest,
    key: Key,
    params: dict[str, Any] | None = None,
    key_of: Callable[[Any], tuple[Any, ...]] | None = None,
    budget: tuple[int, Callable[[Any], int]] | None = None,
) -> Page[Any]:
    """One page of `statement` in `key` order (time, id), resuming after the cursor.

    One row more than a page is read to learn whether a next page exists; its cursor carries
    the key of the page's last row, read by `key_of`, or by the key columns' names when the
    statement selects them. `params` binds the statement's own parameters. A `budget`
    (most bytes, size of a row) ends the page early, before the row that would pass it (never
    before the first): an answer stays bounded however large its rows may be.
    """
    bound: dict[str, Any] = dict(params or {})
    if page.cursor is not None:
        bound["after_time"], bound["after_id"] = decode_cursor(page.keys, page.scope, page.cursor)
    paged = _paged(statement, key, page.newest_first, page.cursor is not None, page.limit + 1)
    rows = await reader.fetch(paged, bound)
    size = _within(rows, page.limit, budget) if budget else page.limit
    if len(rows) <= size:
        return Page(rows, None)
    last = rows[size - 1]
    last_key = key_of(last) if key_of else tuple(getattr(last, str(column.key)) for column in key)
    return Page(rows[:size], encode_cursor(page.keys, page.scope, last_key))


def _within(rows: Sequence[Any], limit: int, budget: tuple[int, Callable[[Any], int]]) -> int:
    """How many of the first `limit` rows fit the byte budget (at least one)."""
    most, size_of = budget
    used = 0
    for count, row in enumerate(rows[:limit]):
        used += size_of(row)
        if used > most and count > 0:
            return count
    return limit
