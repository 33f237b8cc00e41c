from fastapi import APIRouter, Request

from app import lifecycle
from app.contract import HealthStatus
from app.db.readiness import failing_pools
from app.errors import ServiceUnavailable

router = APIRouter(prefix="/api/v1/health", tags=["health"])

_OK = HealthStatus(status="ok")
READY_TIMEOUT_SECONDS = 2.0


@router.get("/live", response_model=HealthStatus)
async def get_liveness() -> HealthStatus:
    return _OK


@router.get("/ready", response_model=HealthStatus)
async def get_readiness(request: Request) -> HealthStatus:
    """Ready when every pool reaches its database (the replica's too, when public reads go to
    one): a load balancer stops sending traffic to an instance that could only answer 503."""
    if lifecycle.draining():  # SIGTERM: leaving, still serving while balancers notice
        raise ServiceUnavailable("The instance is shutting down.")
    state = request.app.state
    failing = await failing_pools(
        state.engine, state.reader, READY_TIMEOUT_SECONDS, primary=state.primary
    )
    if failing:
        raise ServiceUnavailable(
            f"The database does not answer: {', '.join(failing)} pool failing."
        )
    return _OK
