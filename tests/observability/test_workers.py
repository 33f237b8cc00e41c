"""`python -m app api --workers 2` as production runs it: prometheus-client's multiprocess mode
sums the workers' counts and pool gauges behind one metrics port, and every stderr line, the
supervisor's and the workers' (uvicorn's own included), is JSON, each request's line with its
request id."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from contracts_tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Two workers importing the app on a busy 2-core machine can take a while.
START_SECONDS = 120
REQUESTS = 8


def _get(url: str, headers: dict[str, str] | None = None) -> str | None:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as answer:
            body: bytes = answer.read()
            return body.decode()
    except OSError:
        return None


def _poll(url: str, process: subprocess.Popen[bytes], accept: str = "") -> str:
    """`url`'s body once it answers (and contains `accept`), failing fast if the server dies."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        body = _get(url)
        if body is not None and accept in body:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer as expected within {START_SECONDS}s")


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_two_workers_share_one_metrics_port_and_log_json(database_url: str, tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "SHUTDOWN_DRAIN_SECONDS": "0",
        "METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DATABASE_POOL_SIZE": "3",
    }
    env.pop("LOG_FORMAT", None)
    command = [sys.executable, "-m", "app", "api", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        _poll(f"{base}/api/v1/health/live", process)
        # Both workers have started once their session pools (3 each) are summed.
        _poll(metrics, process, accept='inkwell_db_pool_size{pool="session"} 6.0')
        for number in range(REQUESTS):
            headers = {"X-Request-ID": f"log-line-{number}"}
            assert _get(f"{base}/api/v1/posts", headers) is not None
        samples = _samples(_poll(metrics, process))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)

    key = frozenset({("operation", "listPosts"), ("status_class", "2xx")})
    assert samples[("inkwell_http_requests_total", key)] == REQUESTS
    lines = stderr.decode().splitlines()
    entries = [json.loads(line) for line in lines]  # every line, the supervisor's included
    messages = [entry["message"] for entry in entries]
    assert any(message.startswith("Started parent process") for message in messages), lines
    assert sum(message.startswith("Started server process") for message in messages) == 2
    # Each request's line carries its request id.
    served = {
        entry["request_id"]
        for entry in entries
        if entry["logger"] == "app.access" and entry["path"] == "/api/v1/posts"
    }
    assert served == {f"log-line-{number}" for number in range(REQUESTS)}
