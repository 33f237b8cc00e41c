"""The embedded PostgreSQL stops when the last process using it exits, even after a killed run."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

START_AND_EXIT = "import sys; from pathlib import Path; from app.db.embedded import start_embedded; start_embedded(Path(sys.argv[1]))"  # noqa: E501


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_run_does_not_keep_the_server_alive_after_the_next(tmp_path: Path) -> None:
    pgdata = tmp_path / "postgres"
    subprocess.run([sys.executable, "-c", START_AND_EXIT, str(pgdata)], check=True, timeout=120)
    assert not (pgdata / "postmaster.pid").exists(), "a run that exits normally stops its server"
    # A run that was killed never took itself off the list of the server's users.
    (pgdata / ".handle_pids.json").write_text(json.dumps([_dead_pid()]))
    subprocess.run([sys.executable, "-c", START_AND_EXIT, str(pgdata)], check=True, timeout=120)
    postmaster = pgdata / "postmaster.pid"
    try:
        assert not postmaster.exists()
    finally:
        if postmaster.exists():  # the bug: stop the server (fast shutdown) so nothing leaks
            os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)
