"""One wrk run of a Load, read back as throughput, latency and errors."""

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.loads import Load

SCRIPT = Path(__file__).resolve().parent / "requests.lua"


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    status_errors: int  # responses >= 400 ("Non-2xx or 3xx responses" in wrk's words)
    socket_errors: int  # connect, read, write errors and timeouts

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


def _executable() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: `apt-get install wrk` (nox -s bench installs it when root)")
    return wrk


def _latency_ms(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}%\s+([\d.]+)(us|ms|s)\b", output)
    if found is None:  # no request finished: nothing to report
        return float("nan")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _count(pattern: str, output: str) -> int:
    return sum(int(value) for value in re.findall(pattern, output))


def parse(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = _count(r"(\d+) requests in", output)
    status_errors = _count(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    line = re.search(r"Socket errors:(.*)", output)
    socket_errors = _count(r"(\d+)", line.group(1)) if line else 0
    latency = _latency_ms(output, "50"), _latency_ms(output, "99")
    return Result(rps, *latency, requests, status_errors, socket_errors)


def run(base_url: str, load: Load, *, seconds: str, connections: str, run_id: str) -> Result:
    """Drive `load` against `base_url` for `seconds`; `run_id` keeps created titles unique."""
    command = [_executable(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if load.is_plain:
        command.append(base_url + load.targets[0][0])
        return parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="inkwell-wrk-") as folder:
        targets, body = Path(folder) / "targets", Path(folder) / "body"
        targets.write_text("".join(f"{path}\t{token or '-'}\n" for path, token in load.targets))
        body.write_text(load.body or "")
        body_file = str(body) if load.body is not None else ""
        command += ["-s", str(SCRIPT), base_url, "--", load.method, str(targets), body_file, run_id]
        return parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
