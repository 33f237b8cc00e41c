"""`nox -s bench`: requests per second and latency of the read paths, beside their ceiling.

Seeds 100,000 published posts, then drives each endpoint with wrk (one uvicorn worker each,
same machine, same run) and prints each figure as a ratio to the in-memory ceiling.
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
DURATION = os.environ.get("INKWELL_BENCH_SECONDS", "10")
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


def _measure(url: str) -> Result:
    """Warm up first (every pooled connection prepares its statements once), then measure."""
    _wrk(url, duration=WARM_UP)
    return _wrk(url)


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


def main() -> None:
    with live_server() as (base_url, database_url):
        print("Seeding 100,000 posts ...", flush=True)
        asyncio.run(_seed(database_url))
        first = f"{base_url}/api/v1/posts"
        deep = f"{first}?cursor={_deep_cursor(base_url, 10_000)}"
        page = _get(first)
        post_id = page["items"][0]["id"]  # type: ignore[index]
        one = f"{base_url}/api/v1/posts/{post_id}"
        data = {"page": page, "post": _get(one)}
        print(f"Measuring with wrk: {CONNECTIONS} connections, {DURATION}s each ...", flush=True)
        results = {
            "GET /posts (first page)": _measure(first),
            "GET /posts (10,000 rows deep)": _measure(deep),
            "GET /posts/{post_id}": _measure(one),
        }
    with _ceiling(data) as ceiling_url:
        ceilings = {
            "GET /posts (first page)": _measure(f"{ceiling_url}/api/v1/posts"),
            "GET /posts/{post_id}": _measure(f"{ceiling_url}/api/v1/posts/{post_id}"),
        }
    ceilings["GET /posts (10,000 rows deep)"] = ceilings["GET /posts (first page)"]
    print(f"\n{'endpoint':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ceiling':>9} ratio")
    for name, result in results.items():
        print(_row(name, result, ceilings[name]))
    for name, result in ceilings.items():
        if name != "GET /posts (10,000 rows deep)":
            print(_row(f"ceiling {name}", result, None))
    deep_ratio = (
        results["GET /posts (10,000 rows deep)"].rps / results["GET /posts (first page)"].rps
    )
    print(f"\ndeep page / first page: {deep_ratio:.1%}")


if __name__ == "__main__":
    main()
