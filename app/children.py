"""Processes started beside the API: the job worker and the development mail sink.

One implementation for `python -m app` (serve) and for the live servers tests run
(contracts_tests.live_server); the processes tests start themselves (tests/topology.py,
tests/stack) are stopped and waited for with the same functions.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# How long a child may take to stop once asked before it is killed. A worker killed mid-job
# loses nothing: another run picks the job up once its heartbeat is stale.
STOP_SECONDS = 10
START_SECONDS = 30


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def child(
    argv: list[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    quiet: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """A process that lives as long as the block: asked to stop (SIGTERM), then killed."""
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=output)  # noqa: S603 - ours
    try:
        yield process
    finally:
        stop(process)


def stop(
    process: subprocess.Popen[bytes], seconds: float = STOP_SECONDS, *, group: bool = False
) -> None:
    """Ask `process` to stop (SIGTERM), kill it if it outlives `seconds`, and reap it.

    With `group` the kill takes its whole process group (it leads one: `start_new_session`),
    so children it would have stopped itself do not outlive it."""
    process.terminate()  # nothing when it has already exited
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()


def wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    name: str,
    seconds: float = START_SECONDS,
) -> None:
    """Poll `ready` (an OSError counts as not yet) until it holds, failing fast if the
    process dies, and with a RuntimeError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the {name} exited with {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {name} was not ready within {seconds}s")
        time.sleep(0.1)


def wait_listening(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    """Poll until something accepts TCP connections on loopback `port`, failing fast if the
    process dies."""

    def accepts() -> bool:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True

    wait_until(accepts, process, name)


@contextmanager
def mail_sink(
    folder: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    quiet: bool = False,
) -> Iterator[str]:
    """The development mail sink (app.mailsink) on a free loopback port, saving each mail into
    `folder` (its default: `.data/mail/`); yields its SMTP_URL once it accepts mail. `quiet`
    leaves out its line per mail."""
    port = free_port()
    argv = [sys.executable, "-m", "app.mailsink", "--port", str(port)]
    if folder is not None:
        argv += ["--dir", str(folder)]
    with child(argv, env=env, cwd=cwd, quiet=quiet) as process:
        wait_listening(port, process, "mail sink")
        yield f"smtp://127.0.0.1:{port}"
