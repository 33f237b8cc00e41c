"""Password hashing with argon2id through the passlib API (libpass), off the event loop."""

from functools import lru_cache

import anyio.to_thread
from passlib.context import CryptContext

from app.config import get_settings


@lru_cache
def _context() -> CryptContext:
    if get_settings().cheap_password_hashing:
        # Test-only: the minimum argon2 allows, so test suites and fuzzing stay fast.
        return CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__memory_cost=8,
            argon2__time_cost=1,
            argon2__parallelism=1,
        )
    # OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=19_456,
        argon2__time_cost=2,
        argon2__parallelism=1,
    )


async def hash_password(password: str) -> str:
    return str(await anyio.to_thread.run_sync(_context().hash, password))


async def verify_password(password: str, password_hash: str) -> bool:
    return bool(await anyio.to_thread.run_sync(_context().verify, password, password_hash))


@lru_cache
def _dummy_hash() -> str:
    return str(_context().hash("inkwell-timing-equaliser"))


async def burn_verification_time(password: str) -> None:
    """Spend what a real check costs, so an unknown email answers as slowly as a known one."""
    await anyio.to_thread.run_sync(_context().verify, password, _dummy_hash())
