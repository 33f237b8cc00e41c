"""Which documented (operation, status) pairs and response headers the contract run observed.

Every suite of `nox -s contract` records each answer it gets: Schemathesis through an
`after_call` hook (contracts_tests.fuzz_hooks), the live conformance walk
(contracts_tests.probe) through its HTTP client. A record is one JSON line (source, operation,
status, header names) appended to the file named by `INKWELL_CONTRACT_LOG`; nothing is recorded
when it is unset.

`python -m contracts_tests.coverage` (the last step of `nox -s contract`) reads the records,
writes the table to reports/contract/coverage.md, and exits 1 naming every documented pair
and every documented header of an observed pair that no suite saw, except the pairs of
EXEMPT, each with its reason.

Why not TraceCov (the Schemathesis project's coverage tool): it reports status codes per
operation, as HTML, but not response headers, which are half of what this must hold; and it
would count only Schemathesis's requests, while the walk's own client is a second source.
A recorder of a few lines, fed by both, says exactly what is missing in the failure message.
"""

import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_ENV = "INKWELL_CONTRACT_LOG"
ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "contract" / "coverage.md"
METHODS = ("get", "put", "post", "delete", "patch")

# (operationId or "*" for every operation, status): why the contract run cannot provoke it.
EXEMPT: dict[tuple[str, str], str] = {
    # PostgreSQL away, restarting or out of connections: tests/ stop the database for it.
    ("*", "503"): "needs the database down or its pools exhausted (tests/ provoke it)",
    # The contract servers lift every rate limit so the fuzzer is not answered 429 throughout.
    ("*", "429"): "rate limits are lifted on contract servers (tests/ hold every limit)",
    # FastAPI answers 400 when python-multipart cannot parse a form, and it parses every
    # urlencoded body (non-UTF-8, stray `%` included); other media types are 415 first.
    ("issueToken", "400"): "no urlencoded body fails to parse as a form",
    # With `{post_id:uuid}`-style path convertors a malformed id is 404, and these take no
    # query, header or body: nothing an HTTP client sends can fail validation.
    ("getUser", "422"): "only a UUID path parameter, refused as 404 by the path convertor",
    ("deleteUser", "422"): "only a UUID path parameter, refused as 404 by the path convertor",
    ("sendPasswordReset", "422"): "only a UUID path parameter, refused as 404 by the convertor",
    ("publishPost", "422"): "only a UUID path parameter, refused as 404 by the path convertor",
    ("unpublishPost", "422"): "only a UUID path parameter, refused as 404 by the convertor",
    ("deleteComment", "422"): "only UUID path parameters, refused as 404 by the path convertor",
}


def record(source: str, operation: str, status: int, headers: Iterable[str]) -> None:
    """Append one observed answer to the log named by INKWELL_CONTRACT_LOG, if set."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    line = {
        "source": source,
        "operation": operation,
        "status": str(status),
        "headers": sorted({name.lower() for name in headers}),
    }
    with open(path, "a", encoding="utf-8") as log:  # one short write: lines stay whole
        log.write(json.dumps(line) + "\n")


def resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """`node` with its `$ref` followed; siblings of a `$ref` (a `default`) win, as in 3.1."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return dict(node)


def documented(spec: Mapping[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(operationId, status) -> the response's documented header names, as written."""
    pairs = {}
    for path_item in spec["paths"].values():
        for method in METHODS:
            if method not in path_item:
                continue
            operation = path_item[method]
            for status, response in operation["responses"].items():
                headers = resolve(spec, response).get("headers", {})
                pairs[(operation["operationId"], str(status))] = list(headers)
    return pairs


def exemption(operation: str, status: str) -> str | None:
    return EXEMPT.get((operation, status)) or EXEMPT.get(("*", status))


@dataclass
class Coverage:
    markdown: str
    missing: list[str]


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def build(spec: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> Coverage:
    """The table of what was observed, and a sentence per documented thing nobody saw."""
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    seen_headers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in records:
        key = (item["operation"], str(item["status"]))
        sources[key].add(item["source"])
        seen_headers[key].update(item["headers"])
    rows = [
        "# Contract coverage",
        "",
        "Every documented (operation, status) pair and response header, and which suite of",
        "`nox -s contract` observed it (`contracts_tests/coverage.py`).",
        "",
        "| operation | status | observed by | documented headers |",
        "|---|---|---|---|",
    ]
    missing = []
    for (operation, status), headers in documented(spec).items():
        key = (operation, status)
        exempt = exemption(operation, status)
        seen = ", ".join(sorted(sources[key]))
        if not seen:
            seen = f"exempt: {exempt}" if exempt else "**never**"
            if not exempt:
                missing.append(f"{operation} {status}: never answered")
        marks = []
        for header in headers:
            observed = header.lower() in seen_headers[key]
            marks.append(f"{header} {'✔' if observed else '✘'}" if sources[key] else header)
            if sources[key] and not observed and not exempt:
                missing.append(f"{operation} {status}: documented header {header} never seen")
        rows.append(f"| {operation} | {status} | {seen} | {', '.join(marks)} |")
    if missing:
        rows += ["", "## Never observed", "", *(f"- {item}" for item in missing)]
    return Coverage("\n".join(rows) + "\n", missing)


def main() -> int:
    from app.spec import load_spec

    log = Path(os.environ.get(LOG_ENV) or ROOT / "reports" / "contract" / "observed.jsonl")
    coverage = build(load_spec(), read_log(log))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(coverage.markdown, encoding="utf-8")
    print(f"Contract coverage written to {REPORT.relative_to(ROOT)}")
    if coverage.missing:
        print("Documented but never exercised by the contract run:")
        for item in coverage.missing:
            print(f"  - {item}")
        return 1
    print("Every documented status and response header was observed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
