"""The coverage report names every documented status and header that no suite observed."""

import json
from pathlib import Path
from typing import Any

import pytest

from contracts_tests import coverage

SPEC: dict[str, Any] = {
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "responses": {
                    "201": {"$ref": "#/components/responses/Created"},
                    "422": {"description": "invalid"},
                    "503": {"description": "database away"},
                },
            }
        }
    },
    "components": {
        "responses": {
            "Created": {
                "description": "created",
                "headers": {"Location": {"required": True}, "ETag": {"required": True}},
            }
        }
    },
}


def test_everything_observed_is_complete() -> None:
    records = [
        {"source": "schemathesis:admin", "operation": "createThing", "status": "201",
         "headers": ["location", "etag"]},
        {"source": "conformance", "operation": "createThing", "status": "422", "headers": []},
    ]  # fmt: skip
    report = coverage.build(SPEC, records)
    assert report.missing == []
    assert "| createThing | 201 | schemathesis:admin | Location ✔, ETag ✔ |" in report.markdown
    assert "| createThing | 503 | exempt: " in report.markdown


def test_a_status_and_a_header_never_seen_are_named() -> None:
    records = [
        {"source": "conformance", "operation": "createThing", "status": "201",
         "headers": ["location"]},
    ]  # fmt: skip
    report = coverage.build(SPEC, records)
    assert report.missing == [
        "createThing 201: documented header ETag never seen",
        "createThing 422: never answered",
    ]
    assert "| createThing | 422 | **never** |" in report.markdown


def test_answers_are_recorded_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "observed.jsonl"
    monkeypatch.delenv(coverage.LOG_ENV, raising=False)
    coverage.record("conformance", "createThing", 201, ["Location"])
    assert not log.exists()
    monkeypatch.setenv(coverage.LOG_ENV, str(log))
    coverage.record("conformance", "createThing", 201, ["Location", "ETag"])
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"source": "conformance", "operation": "createThing", "status": "201",
         "headers": ["etag", "location"]},
    ]  # fmt: skip
