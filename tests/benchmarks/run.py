"""`nox -s bench`: requests per second and latency of the read paths, beside their ceiling.

Seeds 100,000 published posts, then drives each endpoint with wrk (one uvicorn worker each,
same machine, same run) and prints each figure as a ratio to the in-memory ceiling.

A shared 2-core machine drifts by ±20 % from minute to minute, so the endpoints and their
ceilings are measured in interleaved rounds and each figure is the round with the median
throughput: a drift then moves a figure and its ceiling together.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.db.reads import asyncpg_dsn
from contracts_tests.live_server import free_port, live_server, wait_ready

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DURATION = os.environ.get("INKWELL_BENCH_SECONDS", "4")
ROUNDS = int(os.environ.get("INKWELL_BENCH_ROUNDS", "5"))
CONNECTIONS = os.environ.get("INKWELL_BENCH_CONNECTIONS", "32")
WARM_UP = "3"


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: dict[str, object] = json.loads(response.read())
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


def _deep_cursor(base_url: str, depth: int) -> str:
    """The cursor that starts the page `depth` rows into the list, found by walking to it."""
    cursor = None
    for _ in range(depth // 100):
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        cursor = _get(f"{base_url}/api/v1/posts?{query}")["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def _wrk(url: str, duration: str = DURATION) -> Result:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: `apt-get install wrk` (nox -s bench installs it when root)")
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        sys.exit(f"wrk saw errors for {url}:\n{output}")

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"{percentile}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return Result(rps, latency("50"), latency("99"))


def _measure(urls: dict[str, str]) -> dict[str, Result]:
    """The median-throughput result of each URL over interleaved rounds, after a warm-up
    (every pooled connection prepares its statements once)."""
    for url in urls.values():
        _wrk(url, duration=WARM_UP)
    rounds: dict[str, list[Result]] = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            rounds[name].append(_wrk(url))
    return {
        name: sorted(runs, key=lambda r: r.rps)[len(runs) // 2] for name, runs in rounds.items()
    }


@contextmanager
def _ceiling(data: dict[str, object]) -> Iterator[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(data, handle)
        handle.flush()
        port = free_port()
        env = {**os.environ, "INKWELL_CEILING_DATA": handle.name}
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
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base_url}/api/v1/posts", process)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=15)


def _row(name: str, result: Result, ceiling: Result | None) -> str:
    ratio = f"{result.rps / ceiling.rps:6.1%}" if ceiling else "     -"
    ceiling_rps = f"{ceiling.rps:9.0f}" if ceiling else "        -"
    return (
        f"{name:<34} {result.rps:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f}"
        f" {ceiling_rps} {ratio}"
    )


FIRST, DEEP, ONE = (
    "GET /posts (first page)",
    "GET /posts (10,000 rows deep)",
    "GET /posts/{post_id}",
)


def main() -> None:
    with live_server() as (base_url, database_url):
        print("Seeding 100,000 posts ...", flush=True)
        asyncio.run(_seed(database_url))
        first = f"{base_url}/api/v1/posts"
        page = _get(first)
        post_id = page["items"][0]["id"]  # type: ignore[index]
        one = f"{base_url}/api/v1/posts/{post_id}"
        urls = {FIRST: first, DEEP: f"{first}?cursor={_deep_cursor(base_url, 10_000)}", ONE: one}
        with _ceiling({"page": page, "post": _get(one)}) as ceiling_url:
            urls[f"ceiling {FIRST}"] = f"{ceiling_url}/api/v1/posts"
            urls[f"ceiling {ONE}"] = f"{ceiling_url}/api/v1/posts/{post_id}"
            print(
                f"Measuring with wrk: {CONNECTIONS} connections, {ROUNDS} interleaved rounds"
                f" of {DURATION}s per endpoint ...",
                flush=True,
            )
            results = _measure(urls)
    ceilings = {FIRST: results[f"ceiling {FIRST}"], DEEP: results[f"ceiling {FIRST}"]}
    ceilings[ONE] = results[f"ceiling {ONE}"]
    print(f"\n{'endpoint':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ceiling':>9} ratio")
    for name in (FIRST, DEEP, ONE):
        print(_row(name, results[name], ceilings[name]))
    for name in (FIRST, ONE):
        print(_row(f"ceiling {name}", ceilings[name], None))
    print(f"\ndeep page / first page: {results[DEEP].rps / results[FIRST].rps:.1%}")


if __name__ == "__main__":
    main()
