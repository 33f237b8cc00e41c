"""Generates the openapi-python-client package afresh into generated/python/inkwell_opc.

`python clients/other-generators/generate_python.py` with openapi-python-client installed in
the same Python (the nox session installs its pinned version). The folder is deleted first:
the generator overwrites files but leaves behind those a changed spec no longer produces.
Fails on any generator warning (`--fail-on-warning`): a skipped operation or schema is a gap
in the client, not a detail.
"""

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[1] / "openapi" / "openapi.yaml"
OUTPUT = HERE / "generated" / "python"


def main() -> int:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(HERE / "openapi-python-client.yaml"),
        "--meta",
        "none",
        "--output-path",
        str(OUTPUT / "inkwell_opc"),
        "--fail-on-warning",
    ]
    return subprocess.run(command, check=False).returncode  # noqa: S603 - a fixed command


if __name__ == "__main__":
    sys.exit(main())
