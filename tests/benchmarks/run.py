"""`nox -s bench`: requests per second and latency of the main paths, beside their ceiling.

Seeds 100,000 published posts, registers signed-in callers through the API, then drives each
endpoint with wrk (one uvicorn worker each, same machine, same run) and prints each figure as a
ratio to an in-memory FastAPI app of the same shape (tests/benchmarks/ceiling.py), with the
statements each request sent to PostgreSQL (tests/benchmarks/statements.py).

A shared 2-core machine drifts by ±20 % from minute to minute, so the endpoints and their
ceilings are measured in interleaved rounds and each figure is the round with the median
throughput: a drift then moves a figure and its ceiling together.

`--pooler` adds, for every endpoint but the deep page, the same load on two more servers with
DATABASE_POOLER=transaction: on PostgreSQL itself (the cost of the setting) and through
PgBouncer in transaction mode (tests/benchmarks/pooler.py), each quoted as a ratio to the
direct row, measured in the same interleaved rounds.
"""

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import re
import secrets
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.children import child
from app.db.reads import asyncpg_dsn
from contracts_tests.live_server import free_port, live_server, wait_ready
from tests.benchmarks import accounts, pooler, statements, wrk
from tests.benchmarks.loads import UNIQUE, Load, send_json
from tests.benchmarks.statements import Probe, StatementCounter, Unavailable
from tests.benchmarks.wrk import Result

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DURATION = os.environ.get("INKWELL_BENCH_SECONDS", "4")
ROUNDS = int(os.environ.get("INKWELL_BENCH_ROUNDS", "5"))
CONNECTIONS = os.environ.get("INKWELL_BENCH_CONNECTIONS", "32")
WARM_UP = "3"
CALLERS = 64  # signed-in users the token and write rows rotate through
# Thousands of writes a second from 64 users would be nearly all 429 at the default 60 writes
# per minute per user; the limiter still counts every write, it just never refuses.
SERVER_ENV = {
    "WRITES_PER_MINUTE": "100000000",
    "LOGIN_ATTEMPTS_PER_ADDRESS": "100000",  # every caller logs in from 127.0.0.1
    "ACCESS_TOKEN_MINUTES": "120",  # the tokens outlive the run
}
POST_BODY = json.dumps(
    {
        "title": f"Benchmark post {UNIQUE}",
        "body": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8,
        "tags": ["bench"],
    }
)
COMMENT_BODY = json.dumps({"body": "A benchmark comment, about as long as most of them are."})

FIRST, DEEP, ONE = (
    "GET /posts (first page)",
    "GET /posts (10,000 rows deep)",
    "GET /posts/{post_id}",
)
CREATE_POST, COMMENT, ME, SIGNED_IN = (
    "POST /posts",
    "POST /posts/{post_id}/comments",
    "GET /users/me",
    "GET /posts (first page, token)",
)
ENDPOINTS = (FIRST, DEEP, ONE, CREATE_POST, COMMENT, ME, SIGNED_IN)
# Each endpoint is quoted against the ceiling of its shape; the deep page against the first's.
CEILING_OF = {name: name for name in ENDPOINTS} | {DEEP: FIRST}
TARGETS = {FIRST: 0.40, ONE: 0.50, CREATE_POST: 0.25, ME: 0.50, SIGNED_IN: 0.40}
DEEP_TARGET = 0.90  # of the first page's throughput


@dataclass(frozen=True)
class Summary:
    median: Result  # the round with the median throughput
    runs: list[Result]  # every run of the row, warm-up included

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    def error_detail(self) -> str:
        statuses = sum(run.status_errors for run in self.runs)
        sockets = sum(run.socket_errors for run in self.runs)
        requests = sum(run.requests for run in self.runs)
        return f"{statuses} responses >= 400 and {sockets} socket errors in {requests} requests"


def _get(url: str) -> dict[str, object]:
    body = send_json(urllib.request.Request(url))
    assert isinstance(body, dict)
    return body


async def _seed(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute((HERE / "seed.sql").read_text())
        # Measure the table as it settles in use, not the aftermath of a bulk load: VACUUM sets
        # the visibility map and hint bits and leaves autovacuum nothing to do mid-run, and the
        # checkpoint writes the new pages out now rather than while wrk runs.
        await connection.execute("VACUUM ANALYZE users, posts")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


def _seeded_post_id(i: int) -> uuid.UUID:
    """The id seed.sql gives post `i` (md5('post' || i)::uuid)."""
    return uuid.UUID(hashlib.md5(f"post{i}".encode(), usedforsecurity=False).hexdigest())


def _deep_cursor(base_url: str, depth: int) -> str:
    """The cursor that starts the page `depth` rows into the list, found by walking to it."""
    cursor = None
    for _ in range(depth // 100):
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        cursor = _get(f"{base_url}/api/v1/posts?{query}")["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def _loads(base_url: str, callers: list[accounts.Caller], post_id: str) -> dict[str, Load]:
    """What each endpoint row sends. Comments go to published posts from the middle of the
    list, one per caller: each comment locks its post, and one post for all would measure
    that lock alone."""
    first = "/api/v1/posts"
    tokens = [caller.token for caller in callers]
    commented = [f"{first}/{_seeded_post_id(50_001 + i)}/comments" for i in range(len(tokens))]
    return {
        FIRST: Load(((first, None),)),
        DEEP: Load(((f"{first}?cursor={_deep_cursor(base_url, 10_000)}", None),)),
        ONE: Load(((f"{first}/{post_id}", None),)),
        CREATE_POST: Load(tuple((first, t) for t in tokens), "POST", POST_BODY),
        COMMENT: Load(tuple(zip(commented, tokens, strict=True)), "POST", COMMENT_BODY),
        ME: Load(tuple(("/api/v1/users/me", t) for t in tokens)),
        SIGNED_IN: Load(tuple((first, t) for t in tokens)),
    }


def _measure(schedule: list[tuple[str, str, Load]], run_ids: Iterator[str]) -> dict[str, Summary]:
    """Each (label, base URL, load) over interleaved rounds, after a warm-up (every pooled
    connection prepares its statements once): the median round, and errors over all runs."""
    runs: dict[str, list[Result]] = {label: [] for label, _, _ in schedule}
    # The first run of each label is its warm-up; every later one a timed round.
    for rounds, seconds in ((1, WARM_UP), (ROUNDS, DURATION)):
        for _ in range(rounds):
            for label, base_url, load in schedule:
                result = wrk.run(
                    base_url, load, seconds=seconds, connections=CONNECTIONS, run_id=next(run_ids)
                )
                runs[label].append(result)
    summaries = {}
    for label, results in runs.items():
        timed = sorted(results[1:], key=lambda r: r.rps)
        summaries[label] = Summary(timed[len(timed) // 2], results)
    return summaries


@contextmanager
def _ceiling(data: Mapping[str, object], secret_key: str) -> Iterator[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(data, handle)
        handle.flush()
        port = free_port()
        env = {
            **os.environ,
            "INKWELL_CEILING_DATA": handle.name,
            "INKWELL_CEILING_SECRET_KEY": secret_key,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.benchmarks.ceiling:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with child(command, env=env, cwd=ROOT) as process:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(f"{base_url}/api/v1/posts", process)
            yield base_url


def _counter(database_url: str) -> StatementCounter | None:
    try:
        return StatementCounter(database_url)
    except Unavailable as error:
        print(f"Statements per request unavailable: {error}", flush=True)
        return None


def _probe_all(
    base_url: str, database_url: str, loads: dict[str, Load], run_ids: Iterator[str]
) -> dict[str, Probe]:
    counter = _counter(database_url)
    try:
        return {
            name: statements.probe(counter, base_url, load, next(run_ids))
            for name, load in loads.items()
        }
    finally:
        if counter:
            counter.close()


def _schedule(
    loads: dict[str, Load], live: str, ceiling: str, variants: Mapping[str, str]
) -> list[tuple[str, str, Load]]:
    """Every endpoint, each followed by its ceiling (if it has one of its own) and by its
    pooler variants (`--pooler`; not for the deep page)."""
    schedule = []
    for name, load in loads.items():
        schedule.append((name, live, load))
        if CEILING_OF[name] == name:
            schedule.append((f"ceiling {name}", ceiling, load))
            schedule += [(f"{name} [{v}]", url, load) for v, url in variants.items()]
    return schedule


def _bench(with_pooler: bool) -> tuple[dict[str, Summary], dict[str, Probe]]:
    secret_key = secrets.token_urlsafe(48)
    run_ids = (f"{secrets.token_hex(3)}-{n}" for n in itertools.count())
    server_env = {**SERVER_ENV, "SECRET_KEY": secret_key}
    with statements.counting_server(), live_server(extra_env=server_env) as (base_url, db_url):
        print("Seeding 100,000 posts ...", flush=True)
        asyncio.run(_seed(db_url))
        print(f"Registering {CALLERS} users through the API ...", flush=True)
        callers = accounts.sign_up(base_url, db_url, CALLERS)
        page = _get(f"{base_url}/api/v1/posts")
        post_id = page["items"][0]["id"]  # type: ignore[index]
        loads = _loads(base_url, callers, post_id)
        print(
            f"Counting statements on {statements.PROBES} sequential requests each ...", flush=True
        )
        probes = _probe_all(base_url, db_url, loads, run_ids)
        data = {
            "page": page,
            "post": _get(f"{base_url}/api/v1/posts/{post_id}"),
            "users": [caller.user for caller in callers],
        }
        pooled = pooler.pooled_servers(db_url, server_env) if with_pooler else nullcontext({})
        with _ceiling(data, secret_key) as ceiling_url, pooled as variants:
            print(
                f"Measuring with wrk: {CONNECTIONS} connections, {ROUNDS} interleaved rounds"
                f" of {DURATION}s per endpoint and ceiling ...",
                flush=True,
            )
            schedule = _schedule(loads, base_url, ceiling_url, variants)
            return _measure(schedule, run_ids), probes


HEADER = (
    f"{'endpoint':<40} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'stmts/req':>9}"
    f" {'ceiling':>7} {'ratio':>6}  target"
)


def _target(name: str, ratio: float) -> str:
    if name not in TARGETS:
        return "-"
    target = TARGETS[name]
    return f">= {target:.0%} {'met' if ratio >= target else 'MISSED'}"


def _row(name: str, summary: Summary, probe: Probe | None, ceiling: Summary | None) -> str:
    result = summary.median
    statements = f"{probe.per_request:.2f}" if probe and probe.per_request is not None else "-"
    line = (
        f"{name:<40} {result.rps:7.0f} {result.p50_ms:7.2f} {result.p99_ms:7.2f}"
        f" {summary.errors:7d} {statements:>9}"
    )
    if ceiling is None:
        return line
    ratio = result.rps / ceiling.median.rps
    return f"{line} {ceiling.median.rps:7.0f} {ratio:6.1%}  {_target(name, ratio)}"


def _short(query: str) -> str:
    single_line = re.sub(r"\s+", " ", query).strip()
    return single_line if len(single_line) <= 110 else single_line[:107] + "..."


def _report(results: dict[str, Summary], probes: dict[str, Probe]) -> None:
    print(f"\n{HEADER}")
    for name in ENDPOINTS:
        print(_row(name, results[name], probes[name], results[f"ceiling {CEILING_OF[name]}"]))
    for name in ENDPOINTS:
        if CEILING_OF[name] == name:
            print(_row(f"ceiling {name}", results[f"ceiling {name}"], None, None))
    deep = results[DEEP].median.rps / results[FIRST].median.rps
    verdict = "met" if deep >= DEEP_TARGET else "MISSED"
    print(f"\ndeep page / first page: {deep:.1%} (target >= {DEEP_TARGET:.0%} {verdict})")
    print(
        "errors: responses >= 400 and socket errors over all of a row's runs, warm-up included."
        f"\nThe server ran with {', '.join(f'{k}={v}' for k, v in SERVER_ENV.items())};"
        f" token and write rows rotate through {CALLERS} users, comments through {CALLERS} posts."
    )
    for label, summary in results.items():
        if summary.errors:
            print(f"  {label}: {summary.error_detail()}")
    _report_pooler(results)
    _report_statements(probes)


def _report_pooler(results: dict[str, Summary]) -> None:
    rows = [name for name in ENDPOINTS if f"{name} [{pooler.CACHE_OFF}]" in results]
    if not rows:
        return
    print(
        "\nBehind a transaction pooler (DATABASE_POOLER=transaction; PgBouncer 1.18,"
        f" {pooler.POOL_SIZE} server connections): ratio = of the direct row above"
    )
    print(HEADER.replace("ceiling", " direct"))
    for name in rows:
        for variant in pooler.VARIANTS:
            label = f"{name} [{variant}]"
            print(_row(label, results[label], None, results[name]))


def _report_statements(probes: dict[str, Probe]) -> None:
    print(
        f"\nstmts/req: pg_stat_statements calls in the benchmark's database over"
        f" {statements.PROBES} sequential requests (after {statements.WARM_UP}), per request:"
    )
    for name, probe in probes.items():
        answers = ", ".join(
            f"{status} x{count}" for status, count in sorted(probe.statuses.items())
        )
        timing = f"{probe.latency_ms:.2f} ms a request"
        if probe.database_ms is not None:
            timing += f", {probe.database_ms:.2f} ms of it executing statements"
        print(f"  {name}: answers {answers}; {timing}")
        for query, per_request in probe.breakdown.items():
            print(f"    {per_request:5.2f}  {_short(query)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__)
    parser.add_argument(
        "--pooler",
        action="store_true",
        help="also measure DATABASE_POOLER=transaction, directly and through PgBouncer",
    )
    args = parser.parse_args()
    started = time.monotonic()
    results, probes = _bench(args.pooler)
    _report(results, probes)
    print(f"\nThe benchmark took {(time.monotonic() - started) / 60:.1f} minutes.")


if __name__ == "__main__":
    main()
