"""A real uvicorn server on a scratch database, for contract runs, client tests and benchmarks.

As a command: `python -m contracts_tests.live_server -- CMD ARGS...` starts the server with its
mail (the job worker, sending to the development mail sink), runs CMD with `INKWELL_BASE_URL`
set to the server and `INKWELL_MAIL_DIR` to the folder where every mail the server sends lands
as an `.eml` file and `INKWELL_DATABASE_URL` to its scratch database, and exits with CMD's
status. `CORS_ORIGINS` and `APP_URL` (the frontend that
mailed links point at) are passed on to the server from the environment.
"""

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg

from app.children import child, free_port, mail_sink, wait_until
from app.db.reads import asyncpg_dsn
from app.db.scratch import scratch_database

__all__ = ["free_port", "live_server", "proxy_flags", "wait_ready"]

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60  # a loaded 2-core machine has taken over 30 s
# How the worker's queue connection names itself (app.jobs.worker.APPLICATION_NAME; importing
# that module here would cost this process the worker's own seconds of imports).
WORKER_APPLICATION_NAME = "inkwell-worker"
# Log levels at which the mail sink also prints a line per mail (recipient, subject, links).
_TALKATIVE = {"DEBUG", "INFO"}


def proxy_flags(env: dict[str, str]) -> list[str]:
    """uvicorn's proxy options as `python -m app` sets them: X-Forwarded-For is believed only
    from the addresses in FORWARDED_ALLOW_IPS. Unset or empty, nobody is trusted; uvicorn's
    command line would otherwise trust 127.0.0.1, so every test client could name its address.
    """
    trusted = env.get("FORWARDED_ALLOW_IPS", "").strip()
    if not trusted:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", trusted]


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    name: str = "server",
    seconds: float = STARTUP_SECONDS,
) -> None:
    """Poll until `url` answers 200, failing fast if the process dies. The HTTP probe is here,
    not in app.children: the server itself makes no HTTP requests (tests/owasp, API7 and API10).
    """

    def answers() -> bool:
        # Refused while starting, or an error status (503 while not ready): an OSError.
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(answer.status == 200)

    wait_until(answers, process, f"{name} at {url}", seconds)


async def _worker_connected(database_url: str) -> bool:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        found = await connection.fetchval(
            "SELECT EXISTS (SELECT FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = $1)",
            WORKER_APPLICATION_NAME,
        )
        return bool(found)
    finally:
        await connection.close()


def _wait_worker(database_url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll until the job worker has its queue connection to the database, failing fast if
    it dies. Jobs enqueued before then are not lost (it looks for waiting jobs as it starts),
    only late: its imports alone take seconds on a busy machine."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while not asyncio.run(_worker_connected(database_url)):
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not connect within {STARTUP_SECONDS}s")
        time.sleep(0.2)


@contextmanager
def live_server(
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    mail_dir: Path | None = None,
    asgi_app: str = "app.asgi:app",
) -> Iterator[tuple[str, str]]:
    """Yield (base URL, database URL) of a server running on a fresh, migrated database.

    `asgi_app` is what uvicorn serves (contracts_tests.planted's deviations, for instance).

    With `mail_dir`, the mail the server enqueues is sent too: the job worker
    (`python -m app worker`) runs beside it on the same database, sending to a mail sink that
    saves each mail into `mail_dir`. Without it nothing sends the queued mail.
    """
    with scratch_database(os.environ.get("DATABASE_URL")) as database_url, ExitStack() as stack:
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
        if mail_dir is not None:
            quiet = env["LOG_LEVEL"] not in _TALKATIVE  # its line per mail, only when chatty
            env["SMTP_URL"] = stack.enter_context(
                mail_sink(mail_dir, env=env, cwd=ROOT, quiet=quiet)
            )
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            asgi_app,
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
        process = stack.enter_context(child(command, env=env, cwd=ROOT))
        if mail_dir is not None:
            worker = [sys.executable, "-m", "app", "worker"]
            worker_process = stack.enter_context(child(worker, env=env, cwd=ROOT))
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(f"{base_url}/api/v1/health/ready", process)
        if mail_dir is not None:
            _wait_worker(database_url, worker_process)
        yield base_url, database_url


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    server_env = {"CORS_ORIGINS": os.environ.get("CORS_ORIGINS", "")}
    if os.environ.get("APP_URL"):
        server_env["APP_URL"] = os.environ["APP_URL"]
    with (
        tempfile.TemporaryDirectory(prefix="inkwell-mail-") as mail_dir,
        live_server(extra_env=server_env, mail_dir=Path(mail_dir)) as (url, database_url),
    ):
        env = {
            **os.environ,
            "INKWELL_BASE_URL": url,
            "INKWELL_MAIL_DIR": mail_dir,
            # The scratch database, for tests that check what the server stored
            # (clients/vue-demo's browser test counts the refresh tokens issued there).
            "INKWELL_DATABASE_URL": database_url,
        }
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
