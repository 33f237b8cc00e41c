"""Fixed-window rate limits whose counters live in PostgreSQL, shared by every worker.

PostgreSQL is the one component every worker already shares. A hit is one statement on a
read-pool connection, outside the request's transaction (app.db.rate_limits), so a rolled-back
request still counts and the request never holds two connections. Headers follow
draft-ietf-httpapi-ratelimit-headers (`RateLimit`, `RateLimit-Policy`).
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from app.db import rate_limits
from app.errors import TooManyRequests
from app.http.responses import add_response_headers


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    limit: int
    window_seconds: int

    def bucket(self, subject: str) -> str:
        return f"{self.name}:{subject}"


def headers(policy: Policy, remaining: int, reset_in: int) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{policy.name}";q={policy.limit};w={policy.window_seconds}',
        "RateLimit": f'"{policy.name}";r={remaining};t={reset_in}',
    }


def apply(
    request: Request, policy: Policy, hits: int, window_start: datetime, message: str
) -> None:
    """Answer 429 with Retry-After once the window's hits exceed the limit; otherwise tell the
    client what is left, on whatever response the request gets."""
    window_end = window_start.timestamp() + policy.window_seconds
    reset_in = max(1, math.ceil(window_end - time.time()))
    limit_headers = headers(policy, max(0, policy.limit - hits), reset_in)
    if hits > policy.limit:
        raise TooManyRequests(
            f"{message} Retry in {reset_in} seconds.",
            headers={**limit_headers, "Retry-After": str(reset_in)},
        )
    add_response_headers(request, limit_headers)


async def enforce(request: Request, policy: Policy, subject: str, message: str) -> None:
    """Count one request against `policy`; 429 with Retry-After once it is spent."""
    bucket = policy.bucket(subject)
    hits, window_start = await rate_limits.hit(
        request.app.state.primary, bucket, policy.window_seconds
    )
    apply(request, policy, hits, window_start, message)


def client_address(request: Request) -> str:
    # The socket peer, or, when it is a proxy named in FORWARDED_ALLOW_IPS, the client that
    # proxy reports in X-Forwarded-For (uvicorn's proxy headers, as `python -m app` sets them).
    return request.client.host if request.client else "unknown"
