"""Whether each connection pool can reach the database, for the readiness probe."""

import asyncio
from collections.abc import Awaitable

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.reads import Reader

_PING = select(literal(1))


async def _answers(check: Awaitable[object], seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await check
    except Exception:  # any failure to answer in time means "not ready", whatever its kind
        return False
    return True


async def _engine_ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(_PING)


async def failing_pools(
    engine: AsyncEngine, reader: Reader, seconds: float, *, primary: Reader | None = None
) -> list[str]:
    """The names of the pools that cannot run a query within `seconds`, checked at once: the
    sessions' engine pool, the public reads' pool and, when those reads go to a replica
    (DATABASE_READ_URL), the plain pool on the primary beside it."""
    checks = {"sessions": _engine_ping(engine), "reads": reader.fetch(_PING)}
    if primary is not None and primary is not reader:
        checks["primary"] = primary.fetch(_PING)
    answered = await asyncio.gather(*(_answers(check, seconds) for check in checks.values()))
    return [name for name, ok in zip(checks, answered, strict=True) if not ok]
