"""Fixtures of the OWASP modules, on top of tests/conftest.py (`app`, `db`, `client`)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import passwords
from app.config import Settings
from tests.owasp.support import CountingPasswords, Scene, build_scene

LIMITS = (
    "writes_per_minute",
    "login_attempts_per_account",
    "login_attempts_per_address",
    "login_window_seconds",
)


@pytest.fixture
async def limits(app: FastAPI) -> AsyncIterator[Settings]:
    """The running server's settings, whose rate limits a test may change; restored after.
    The limits are read on every request (as tests/test_rate_limits.py relies on); the
    counters a test makes live in its transaction (tests/conftest.py) and go with it."""
    settings: Settings = app.state.settings
    saved = {name: getattr(settings, name) for name in LIMITS}
    try:
        yield settings
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


@pytest.fixture
async def roomy(limits: Settings) -> Settings:
    """Write quotas out of the way, for tests that send many refused requests."""
    limits.writes_per_minute = 100_000
    return limits


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> CountingPasswords:
    """Counts the password verifications and hashes the server runs (it runs in this process)."""
    counting = CountingPasswords(passwords._context())
    monkeypatch.setattr(passwords, "_context", lambda: counting)
    return counting


@pytest.fixture
async def scene(client: httpx.AsyncClient, db: AsyncConnection) -> Scene:
    return await build_scene(client, db)
