"""Fixtures of the OWASP modules, on top of tests/conftest.py (`app`, `db`, `client`)."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import passwords
from app.config import Settings
from tests.owasp.support import CountingPasswords, Scene, build_scene


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
