"""Runs every generator's flow against the live server this process was started under.

`python -m contracts_tests.live_server -- python clients/other-generators/run_flows.py`, after
the clients were generated (README.md): the openapi-python-client flow with this Python, then
the openapi-fetch and orval flows with npm. Every flow runs even when one fails; the exit
status is 1 when any did.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NPM = ("npm", "--prefix", str(HERE), "run", "--silent")
FLOWS = {
    "openapi-python-client": (sys.executable, str(HERE / "python_flow.py")),
    "openapi-typescript + openapi-fetch": (*NPM, "flow:openapi-fetch"),
    "orval": (*NPM, "flow:orval"),
}


def main() -> int:
    failed: list[str] = []
    for name, command in FLOWS.items():
        started = time.monotonic()
        returncode = subprocess.run(command, check=False).returncode  # noqa: S603 - fixed commands
        took = time.monotonic() - started
        print(f"{name}: {'passed' if returncode == 0 else 'FAILED'} in {took:.1f} s", flush=True)
        if returncode != 0:
            failed.append(name)
    passed = len(FLOWS) - len(failed)
    print(f"generator flows: {passed} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
