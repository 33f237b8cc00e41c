"""The stack checks: the production topology (tests/stack/launch.py) holds the contract and
loses no request, all through nginx. `nox -s stack_check` (or `python -m tests.stack --check`).

Run on purpose, not collected by `nox -s tests` (the file name says so): they start a whole
stack of their own (logs in `.data/stack-check/logs/`, or INKWELL_STACK_FOLDER) and need nginx
and PgBouncer. In file order:

- X-Request-ID passes through nginx into the API's log and the answer; nginx makes one when the
  client sends none; the request is counted in the instances' metrics; no answer names the
  server software.
- Rate limits count each client address nginx forwards (X-Forwarded-For from nginx alone).
- Schemathesis (contracts_tests' configuration and hooks) finds no failure through nginx
  (undeclared methods aside: nginx answers TRACE itself).
- Signed-in writes and public reads under load: no 5xx, no unanswered request, every
  acknowledged write in the database.
- SIGTERM to one API instance under that load: no failed request, and the instance exits.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.admin import create_admin
from app.children import free_port
from contracts_tests.accounts import access_token
from tests.stack.launch import HEADERS_MORE, Stack, running_stack
from tests.stress.load import (
    Ledger,
    client,
    connections,
    missing_writes,
    running,
    sign_up,
)
from tests.stress.server import CAPACITY_LIMITS

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts_tests"
REPORTS = ROOT / "reports" / "stack"
POSTS = "/api/v1/posts"
VERIFY = "/api/v1/auth/verify-email"
UNLIMITED = "1000000"
# The contract run is Schemathesis as in `nox -s contract`, with fewer examples: the stack adds
# no behaviour of its own to fuzz, only the path to it (nginx, PgBouncer, the replica).
FUZZ_EXAMPLES = os.environ.get("INKWELL_STACK_FUZZ_EXAMPLES", "10")
FUZZ_SEED = os.environ.get("INKWELL_FUZZ_SEED", "20261122")
WRITERS, READERS, USERS = 24, 8, 12
LOAD_SECONDS = float(os.environ.get("INKWELL_STACK_LOAD_SECONDS", "10"))
LOG_WAIT_SECONDS = 30
DRAIN_SECONDS = "2"
STOP_SECONDS = 120

SETTINGS = {
    **CAPACITY_LIMITS,  # one client address writes hundreds of times a minute here
    "ACCESS_TOKEN_MINUTES": "120",
    "ACCOUNT_MAILS_PER_HOUR": UNLIMITED,
    "SHUTDOWN_DRAIN_SECONDS": DRAIN_SECONDS,
}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    folder = Path(os.environ.get("INKWELL_STACK_FOLDER", ROOT / ".data" / "stack-check"))
    port = int(os.environ.get("INKWELL_STACK_PORT", "0")) or free_port()
    with running_stack(folder, port=port, settings=SETTINGS) as running:
        print(running.describe())
        yield running


def _log_line(stack: Stack, request_id: str, log_prefix: str, logger: str = "") -> dict[str, Any]:
    """The first JSON line carrying `request_id` (and from `logger`, when given) in a log
    whose name starts with `log_prefix`."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while time.monotonic() < deadline:
        for log in sorted(stack.logs.glob(f"{log_prefix}*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if request_id not in line or not line.startswith("{"):
                    continue
                entry: dict[str, Any] = json.loads(line)
                if entry.get("request_id") == request_id and entry.get("logger", "") == logger:
                    return entry
        time.sleep(0.2)
    raise AssertionError(f"no line of {log_prefix}*.log carries the request id {request_id}")


def test_a_request_id_passes_through_nginx_into_the_answer_and_the_api_log(stack: Stack) -> None:
    request_id = f"stack-check-{uuid.uuid4().hex}"
    answer = httpx.get(stack.url + POSTS, headers={"X-Request-ID": request_id})
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == request_id
    logged = _log_line(stack, request_id, "api-", "app.access")
    assert logged["path"] == POSTS
    assert logged["client"] == "127.0.0.1"  # the client nginx saw, from X-Forwarded-For
    assert _log_line(stack, request_id, "nginx-access")["status"] == 200


def _listed_posts(stack: Stack) -> float:
    """`listPosts` answers counted by every instance's metrics (each scraped over HTTP)."""
    total = 0.0
    for instance in stack.instances:
        for family in text_string_to_metric_families(httpx.get(instance.metrics).text):
            total += sum(
                sample.value
                for sample in family.samples
                if sample.name == "inkwell_http_requests_total"
                and sample.labels["operation"] == "listPosts"
            )
    return total


def test_a_request_through_nginx_shows_in_the_metrics(stack: Stack) -> None:
    before = _listed_posts(stack)
    for _ in range(3):
        assert httpx.get(stack.url + POSTS).status_code == 200
    assert _listed_posts(stack) == before + 3


def test_nginx_gives_a_request_without_an_id_its_own(stack: Stack) -> None:
    answer = httpx.get(stack.url + POSTS)
    request_id = answer.headers["x-request-id"]
    assert len(request_id) == 32  # nginx's $request_id
    assert _log_line(stack, request_id, "api-", "app.access")["path"] == POSTS
    assert _log_line(stack, request_id, "nginx-access")["uri"] == POSTS


@pytest.mark.skipif(not HEADERS_MORE.exists(), reason="nginx's headers-more module is missing")
def test_no_answer_names_the_server_software(stack: Stack) -> None:
    assert "server" not in httpx.get(stack.url + POSTS).headers


def _remaining_guesses(source_address: str, stack: Stack) -> int:
    """A wrong mailed-link token from `source_address` (a loopback address this client binds);
    what that address's budget of guesses has left, from the answer's RateLimit header."""
    transport = httpx.HTTPTransport(local_address=source_address)
    with httpx.Client(base_url=stack.url, transport=transport) as http:
        answer = http.post(VERIFY, json={"token": f"stack{uuid.uuid4().hex}"})
    assert answer.status_code == 400, answer.text
    name, remaining, _ = answer.headers["ratelimit"].split(";")
    assert name == '"link-guesses"'
    return int(remaining.removeprefix("r="))


def test_the_rate_limit_counts_each_client_address_that_nginx_forwards(stack: Stack) -> None:
    first = _remaining_guesses("127.0.0.2", stack)
    assert _remaining_guesses("127.0.0.2", stack) == first - 1
    # Another client, through the same nginx: a budget of its own.
    assert _remaining_guesses("127.0.0.3", stack) == first


def test_the_contract_holds_through_nginx(stack: Stack) -> None:
    email, password = f"fuzzer-{uuid.uuid4().hex[:8]}@example.com", "fuzzing passphrase"
    asyncio.run(create_admin(stack.primary_url, email, "Fuzzer", password))
    REPORTS.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(CONTRACTS / "schemathesis.toml"),
        "run", str(ROOT / "openapi" / "openapi.yaml"),
        "--url", stack.url,
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--mode", "all",
        # nginx refuses TRACE itself (405, its own page, no Allow): Schemathesis' check of
        # undeclared methods, which it makes with TRACE, is `nox -s contract`'s, on the API.
        "--exclude-checks", "unsupported_method",
        "--seed", FUZZ_SEED,
        "--max-examples", FUZZ_EXAMPLES,
        "--report", "junit",
        "--report-junit-path", str(REPORTS / "junit.xml"),
        "--no-color",
    ]  # fmt: skip
    env = {
        **os.environ,
        "INKWELL_TOKEN": access_token(stack.url, email, password),
        "SCHEMATHESIS_HOOKS": "contracts_tests.fuzz_hooks",
        "INKWELL_CONTRACT_SOURCE": "schemathesis:stack",
    }
    result = subprocess.run(command, env=env, cwd=ROOT, check=False)
    assert result.returncode == 0, "Schemathesis found failures through nginx: see its report"


async def _load(stack: Stack, meanwhile: Callable[[], Awaitable[None]] | None = None) -> Ledger:
    """Signed-in writers and public readers through nginx for LOAD_SECONDS; `meanwhile` is
    awaited once the load has run half that long, and the load goes on for as long again."""
    async with client(stack.url) as http:
        accounts = await sign_up(http, stack.primary_url, USERS)
    ledger = Ledger()
    async with (
        connections(stack.url, WRITERS + READERS) as each,
        running(each, ledger, accounts, writers=WRITERS, readers=READERS),
    ):
        await asyncio.sleep(LOAD_SECONDS / 2)
        if meanwhile is not None:
            await meanwhile()
        await asyncio.sleep(LOAD_SECONDS / 2)
    return ledger


def _assert_nothing_failed(stack: Stack, ledger: Ledger) -> None:
    print(ledger.report())
    assert ledger.outcomes, "the load sent nothing"
    assert ledger.unexplained(allow_503=False) == []
    assert asyncio.run(missing_writes(stack.primary_url, ledger)) == []


def test_signed_in_writes_under_load_get_no_5xx_and_none_is_lost(stack: Stack) -> None:
    ledger = asyncio.run(_load(stack))
    _assert_nothing_failed(stack, ledger)
    assert ledger.published, "no write chain completed"


def test_an_instance_leaves_under_load_without_a_failed_request(stack: Stack) -> None:
    leaving = stack.instances[0]
    exit_codes: list[int] = []

    async def sigterm_and_wait() -> None:
        leaving.popen.terminate()
        exit_codes.append(await asyncio.to_thread(leaving.popen.wait, STOP_SECONDS))

    ledger = asyncio.run(_load(stack, sigterm_and_wait))
    _assert_nothing_failed(stack, ledger)
    assert exit_codes == [0]
    assert "Received SIGTERM" in leaving.log.read_text(errors="replace")
    # What nginx did meanwhile: requests it passed on to the next instance after a refusal.
    address = leaving.url.removeprefix("http://")
    retried = [
        line
        for line in (stack.logs / "nginx-access.log").read_text().splitlines()
        if f'"upstream":"{address}, ' in line
    ]
    print(f"{len(retried)} requests nginx passed on from the leaving instance to the other")
