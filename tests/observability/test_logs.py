"""Log lines: which format, and the readable one. That production writes nothing but JSON,
with the request id on a request's line, is tests/observability/test_workers.py: a real
server with two workers and its supervisor."""

import logging

import pytest

from app.config import Environment, Settings
from app.observability import logs


@pytest.mark.parametrize(
    ("environment", "given", "expected"),
    [
        (Environment.development, None, "console"),
        (Environment.test, None, "json"),
        (Environment.development, "json", "json"),
        (Environment.test, "console", "console"),
    ],
)
def test_log_format_defaults_to_readable_in_development_only(
    environment: Environment, given: logs.LogFormat | None, expected: str
) -> None:
    settings = Settings(environment=environment, log_format=given)
    assert logs.log_format(settings) == expected


def test_console_lines_are_readable_with_the_request_id() -> None:
    record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"method": "GET", "status": 200}
    record.request_id = "abc123"
    line = logs.ConsoleFormatter().format(record)
    assert "INFO" in line
    assert "method=GET" in line
    assert "status=200" in line
    assert line.endswith("[abc123]")
