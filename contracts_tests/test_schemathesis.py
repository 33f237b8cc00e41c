"""Schemathesis 4 against a live uvicorn server on a fresh database: zero failures allowed.

All checks, every phase (examples, coverage, fuzzing, stateful via the spec's links), positive
and negative data, a fixed seed and at least 100 examples per operation. JUnit lands in reports/.
"""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts_tests.live_server import live_server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPORTS = ROOT / "reports" / "schemathesis"
SEED = os.environ.get("INKWELL_FUZZ_SEED", "20261122")
MAX_EXAMPLES = os.environ.get("INKWELL_FUZZ_EXAMPLES", "100")


def _post(url: str, body: bytes, content_type: str) -> dict[str, str]:
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, str] = json.loads(response.read())
        return answer


def _access_token(base_url: str) -> str:
    credentials = {"email": "fuzzer@example.com", "password": "fuzzing passphrase"}
    _post(
        f"{base_url}/api/v1/auth/register",
        json.dumps({**credentials, "display_name": "Fuzzer"}).encode(),
        "application/json",
    )
    form = f"username={credentials['email']}&password=fuzzing+passphrase".encode()
    tokens = _post(f"{base_url}/api/v1/auth/token", form, "application/x-www-form-urlencoded")
    return tokens["access_token"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    # Access tokens must outlive the run; the server is thrown away afterwards.
    with live_server(extra_env={"ACCESS_TOKEN_MINUTES": "120"}) as (base_url, _):
        yield base_url


def test_schemathesis_finds_no_failures(server: str) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        str(ROOT / "openapi" / "openapi.yaml"),
        "--url",
        server,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--report",
        "junit",
        "--report-junit-path",
        str(REPORTS / "junit.xml"),
        "--no-color",
    ]
    env = {**os.environ, "INKWELL_TOKEN": _access_token(server)}
    result = subprocess.run(command, env=env, cwd=ROOT, check=False)
    assert result.returncode == 0, "Schemathesis found failures: read its report above"
