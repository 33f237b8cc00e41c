"""Schemathesis 4 against a live uvicorn server on a fresh database: zero failures allowed.

All checks, every phase (examples, coverage, fuzzing, stateful via the spec's links), positive
and negative data, a fixed seed and at least 100 examples per operation. JUnit lands in reports/.
"""

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.admin import create_admin
from contracts_tests.live_server import live_server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPORTS = ROOT / "reports" / "schemathesis"
SEED = os.environ.get("INKWELL_FUZZ_SEED", "20261122")
MAX_EXAMPLES = os.environ.get("INKWELL_FUZZ_EXAMPLES", "100")
UNLIMITED = "1000000"


def _admin_access_token(base_url: str, database_url: str) -> str:
    """The fuzzer acts as the only admin, so admin operations are exercised too; it cannot
    demote, deactivate or delete itself (the last active admin is protected)."""
    email, password = "fuzzer@example.com", "fuzzing passphrase"
    asyncio.run(create_admin(database_url, email, "Fuzzer", password))
    form = f"username={email}&password={password.replace(' ', '+')}".encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["access_token"]
        return token


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    # Access tokens must outlive the run, and rate limits must not hide the API behind 429s
    # (they have their own tests); the server is thrown away afterwards.
    env = {
        "ACCESS_TOKEN_MINUTES": "120",
        "WRITES_PER_MINUTE": UNLIMITED,
        "LOGIN_ATTEMPTS_PER_ACCOUNT": UNLIMITED,
        "LOGIN_ATTEMPTS_PER_ADDRESS": UNLIMITED,
        "ACCOUNT_MAILS_PER_HOUR": UNLIMITED,
    }
    with live_server(extra_env=env) as urls:
        yield urls


def test_schemathesis_finds_no_failures(server: tuple[str, str]) -> None:
    base_url, database_url = server
    REPORTS.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(HERE / "schemathesis.toml"),
        "run", str(ROOT / "openapi" / "openapi.yaml"),
        "--url", base_url,
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--mode", "all",
        "--seed", SEED,
        "--max-examples", MAX_EXAMPLES,
        "--report", "junit",
        "--report-junit-path", str(REPORTS / "junit.xml"),
        "--no-color",
    ]  # fmt: skip
    env = {
        **os.environ,
        "INKWELL_TOKEN": _admin_access_token(base_url, database_url),
        "SCHEMATHESIS_HOOKS": "contracts_tests.fuzz_hooks",
    }
    result = subprocess.run(command, env=env, cwd=ROOT, check=False)
    assert result.returncode == 0, "Schemathesis found failures: read its report above"
