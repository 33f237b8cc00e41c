import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.contract import HealthStatus
from app.errors import ServiceUnavailable

router = APIRouter(prefix="/api/v1/health", tags=["health"])

_OK = HealthStatus(status="ok")
READY_TIMEOUT_SECONDS = 2.0


@router.get("/live", response_model=HealthStatus)
async def get_liveness() -> HealthStatus:
    return _OK


async def _database_answers(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to answer in time means "not ready", whatever its kind
        return False
    return True


@router.get("/ready", response_model=HealthStatus)
async def get_readiness(request: Request) -> HealthStatus:
    if not await _database_answers(request.app.state.engine):
        raise ServiceUnavailable("The database does not answer.")
    return _OK
