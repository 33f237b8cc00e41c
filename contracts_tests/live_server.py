"""A real uvicorn server on a scratch database, for contract runs, client tests and benchmarks.

As a command: `python -m contracts_tests.live_server -- CMD ARGS...` starts the server, runs CMD
with `INKWELL_BASE_URL` set, and exits with CMD's status.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.db.scratch import scratch_database

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def proxy_flags(env: dict[str, str]) -> list[str]:
    """uvicorn's proxy options as `python -m app` sets them: X-Forwarded-For is believed only
    from the addresses in FORWARDED_ALLOW_IPS. Unset or empty, nobody is trusted; uvicorn's
    command line would otherwise trust 127.0.0.1, so every test client could name its address.
    """
    trusted = env.get("FORWARDED_ALLOW_IPS", "").strip()
    if not trusted:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", trusted]


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll `url` until it answers 200, failing fast if the process dies."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not become ready within {STARTUP_SECONDS}s")


@contextmanager
def live_server(
    *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Yield (base URL, database URL) of a server running on a fresh, migrated database."""
    with scratch_database(os.environ.get("DATABASE_URL")) as database_url:
        port = free_port()
        env = {
            **os.environ,
            "ENVIRONMENT": "test",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            # Quiet by default: the per-request JSON lines would drown the test runner's output.
            "LOG_LEVEL": os.environ.get("INKWELL_SERVER_LOG_LEVEL", "WARNING"),
            **(extra_env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--no-server-header",
            *proxy_flags(env),
        ]
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{base_url}/api/v1/health/ready", process)
            yield base_url, database_url
        finally:
            process.terminate()
            process.wait(timeout=15)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    with live_server(extra_env={"CORS_ORIGINS": os.environ.get("CORS_ORIGINS", "")}) as (url, _):
        return subprocess.run(command, env={**os.environ, "INKWELL_BASE_URL": url}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
