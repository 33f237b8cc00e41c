"""Fixed-window rate limits whose counters live in PostgreSQL, shared by every worker.

PostgreSQL is the one component every worker already shares; a counter is one upsert on its
primary key, committed on its own connection so a rolled-back request still counts.
Headers follow draft-ietf-httpapi-ratelimit-headers (`RateLimit`, `RateLimit-Policy`).
"""

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from app.errors import TooManyRequests
from app.http import rate_limit_repository
from app.http.responses import add_response_headers


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int
    reset_in: int


async def hit(engine: AsyncEngine, policy: Policy, subject: str) -> Decision:
    now = time.time()
    window_start = now - now % policy.window_seconds
    async with engine.begin() as connection:
        hits = await rate_limit_repository.increment(
            connection,
            f"{policy.name}:{subject}",
            datetime.fromtimestamp(window_start, UTC),
        )
    reset_in = max(1, math.ceil(window_start + policy.window_seconds - now))
    return Decision(hits <= policy.limit, max(0, policy.limit - hits), reset_in)


def headers(policy: Policy, decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{policy.name}";q={policy.limit};w={policy.window_seconds}',
        "RateLimit": f'"{policy.name}";r={decision.remaining};t={decision.reset_in}',
    }


async def enforce(request: Request, policy: Policy, subject: str, message: str) -> None:
    """Count one request against `policy`; 429 with Retry-After once it is spent."""
    decision = await hit(request.app.state.engine, policy, subject)
    limit_headers = headers(policy, decision)
    if not decision.allowed:
        raise TooManyRequests(
            f"{message} Retry in {decision.reset_in} seconds.",
            headers={**limit_headers, "Retry-After": str(decision.reset_in)},
        )
    add_response_headers(request, limit_headers)


def client_address(request: Request) -> str:
    # The socket peer: behind a proxy, run uvicorn with --proxy-headers and trusted IPs.
    return request.client.host if request.client else "unknown"
