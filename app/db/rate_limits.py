"""The SQL behind rate limits: one statement counts a hit and says how many the window holds.

The window is computed from the database's clock, so every worker agrees on it. The counter
runs outside any transaction of the request (on a read-pool connection, before the request's
session takes its own): a request that fails still counts, and the bucket's row lock is held
only for the statement itself (the table is UNLOGGED: no WAL flush to wait for).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import CTE, Integer, bindparam, case, func
from sqlalchemy.dialects.postgresql import insert

from app.db.models import RateLimitCounter
from app.db.reads import Reader

_COUNTERS = RateLimitCounter.__table__.c
_WINDOW: Any = bindparam("window_seconds", type_=Integer)
_NOW_WINDOW = func.to_timestamp(func.floor(func.extract("epoch", func.now()) / _WINDOW) * _WINDOW)
_insert = insert(RateLimitCounter).values(
    bucket=bindparam("bucket"), window_start=_NOW_WINDOW, hits=1
)
_same_window = _COUNTERS.window_start >= _insert.excluded.window_start
# A worker whose request began just before a window ended may arrive after one that began in
# the next: the newer window wins, and its count is not reset by the older one.
_HIT = _insert.on_conflict_do_update(
    index_elements=[_COUNTERS.bucket],
    set_={
        "hits": case((_same_window, _COUNTERS.hits + 1), else_=1),
        "window_start": func.greatest(_COUNTERS.window_start, _insert.excluded.window_start),
    },
).returning(_COUNTERS.hits, _COUNTERS.window_start)


def hit_cte() -> CTE:
    """The counting statement as a CTE (`hits`, `window_start`), for a query that counts a hit
    and reads something else in the same round trip; binds `bucket` and `window_seconds`."""
    return _HIT.cte("hit")


async def hit(reader: Reader, bucket: str, window_seconds: int) -> tuple[int, datetime]:
    """Count one hit in `bucket`; the window's hits so far and when the window began."""
    rows = await reader.fetch(_HIT, {"bucket": bucket, "window_seconds": window_seconds})
    return int(rows[0].hits), rows[0].window_start
