"""The SQL behind rate limits."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.models import RateLimitCounter


async def increment(connection: AsyncConnection, bucket: str, window_start: datetime) -> int:
    """Add one hit to the bucket's current window and return its total; drop older windows."""
    statement = (
        insert(RateLimitCounter)
        .values(bucket=bucket, window_start=window_start, hits=1)
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateLimitCounter.hits + 1},
        )
        .returning(RateLimitCounter.hits)
    )
    hits = (await connection.execute(statement)).scalar_one()
    if hits == 1:  # first hit of a new window: the bucket's previous windows are over
        await connection.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.bucket == bucket, RateLimitCounter.window_start < window_start
            )
        )
    return int(hits)
