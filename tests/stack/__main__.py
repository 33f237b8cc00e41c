"""`python -m tests.stack`: the stack on loopback until Ctrl-C or SIGTERM (`nox -s stack`).

`python -m tests.stack --check`: the stack checks (tests/stack/checks.py: the contract,
signed-in writes under load and an instance leaving under load, through nginx), which start a
stack of their own; `nox -s stack_check` runs them in CI.
"""

import argparse
import ctypes
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from tests.stack.launch import DEFAULT_FOLDER, running_stack

HERE = Path(__file__).resolve().parent
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.stack", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per instance")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="emptied first")
    parser.add_argument("--check", action="store_true", help="run the stack checks and exit")
    return parser.parse_known_args(argv)[0]


def _stop(signum: int, frame: FrameType | None) -> None:
    # Once: a second Ctrl-C must not interrupt the orderly stop that follows.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _stop_with_parent() -> None:
    """SIGTERM to this process when its parent dies (Linux): `nox -s stack` stopped with
    SIGTERM exits at once, without passing it on, and the stack must not outlive it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    if args.check:
        pytest = [sys.executable, "-m", "pytest", str(HERE / "checks.py"), "-p", "no:cacheprovider"]
        return subprocess.run([*pytest, *(a for a in argv if a != "--check")]).returncode
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    _stop_with_parent()
    try:
        with running_stack(
            args.folder, port=args.port, instances=args.instances, workers=args.workers
        ) as stack:
            print(stack.describe(), flush=True)
            print("Ctrl-C (or SIGTERM) stops everything.", flush=True)
            while True:
                for process in [*stack.instances, *stack.others]:
                    if process.popen.poll() is not None:
                        code = process.popen.returncode
                        print(f"{process.name} exited ({code}): see {process.log}", flush=True)
                        return 1
                time.sleep(1)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
