"""SIGTERM: `python -m app` stops everything it started, and an API instance drains before it
stops (readiness 503 while it still serves; app.lifecycle). Real processes, real signals.

The load-balanced half of graceful shutdown (no failed request through nginx while an instance
leaves) is a stack check: tests/stack/checks.py.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from app.children import free_port, stop
from app.db.scratch import scratch_database
from contracts_tests.live_server import wait_ready

ROOT = Path(__file__).resolve().parents[1]
READY = "/api/v1/health/ready"
LIVE = "/api/v1/health/live"
STOP_SECONDS = 60
# A first `python -m app` runs initdb and every migration: slow on a busy 2-core machine.
START_SECONDS = 180
# `python -m app` with the embedded server's data under a folder of the test's, not `.data/`.
SERVE = (
    "import sys; from pathlib import Path; from app.db import embedded;"
    " embedded.DATA_DIR = Path(sys.argv.pop(1)); from app.__main__ import main; main()"
)


def _postmaster(pgdata: Path) -> psutil.Process:
    return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _server_env(**settings: str) -> dict[str, str]:
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(48), **settings}
    env.pop("DATABASE_URL", None)
    env.pop("SMTP_URL", None)
    return env


def test_sigterm_to_python_m_app_stops_postgres_the_worker_and_the_mail_sink(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = _server_env(ENVIRONMENT="development", LOG_LEVEL="WARNING")
    serve = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path), "--port", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}{READY}", serve, "server", START_SECONDS)
        started = psutil.Process(serve.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in started]
        assert any("app worker" in command for command in commands), commands
        assert any("app.mailsink" in command for command in commands), commands
        started.append(_postmaster(tmp_path / "postgres"))

        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=STOP_SECONDS)
    finally:
        stop(serve, STOP_SECONDS, group=True)
    still_running = [" ".join(p.cmdline()) for p in started if _alive(p)]
    assert still_running == []
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with scratch_database(os.environ.get("DATABASE_URL")) as url:
        yield url


@pytest.mark.parametrize("workers", [1, 2])
def test_an_instance_answers_not_ready_but_still_serves_after_sigterm(
    database_url: str, workers: int
) -> None:
    port = free_port()
    # A drain far longer than the test needs: what it observes does not race the clock.
    env = _server_env(ENVIRONMENT="test", DATABASE_URL=database_url, SHUTDOWN_DRAIN_SECONDS="120")
    argv = [sys.executable, "-m", "app", "api", "--port", str(port), "--workers", str(workers)]
    instance = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url + READY, instance, "server", START_SECONDS)
        instance.send_signal(signal.SIGTERM)
        with httpx.Client(base_url=base_url) as http:
            ready = http.get(READY)
            while ready.status_code == 200:  # the signal is handled between two requests
                time.sleep(0.05)
                ready = http.get(READY)
            assert ready.status_code == 503
            assert ready.headers["content-type"].startswith("application/problem+json")
            assert ready.headers["retry-after"].isdigit()
            assert ready.json()["detail"] == "The instance is shutting down."
            assert http.get(LIVE).status_code == 200  # still serving while it drains
        # Ctrl-C cuts the drain short (in every worker).
        os.killpg(instance.pid, signal.SIGINT)
        instance.wait(timeout=STOP_SECONDS)
    finally:
        stop(instance, STOP_SECONDS, group=True)
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + LIVE)


def test_an_instance_stops_listening_once_drained_and_exits(database_url: str) -> None:
    port = free_port()
    env = _server_env(ENVIRONMENT="test", DATABASE_URL=database_url, SHUTDOWN_DRAIN_SECONDS="1")
    argv = [sys.executable, "-m", "app", "api", "--port", str(port), "--workers", "2"]
    instance = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}{READY}", instance, "server", START_SECONDS)
        workers = [
            child
            for child in psutil.Process(instance.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
        instance.send_signal(signal.SIGTERM)
        assert instance.wait(timeout=STOP_SECONDS) == 0
    finally:
        stop(instance, STOP_SECONDS, group=True)
    assert [w.pid for w in workers if _alive(w)] == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}{LIVE}")
