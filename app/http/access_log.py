"""One structured JSON log line per request, carrying its request id."""

import json
import logging
import time

from starlette.types import Scope

from app.http.request_id import current_request_id

logger = logging.getLogger("app.access")


class JsonFormatter(logging.Formatter):
    """Log records as JSON objects: a record's `fields` extra becomes top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("app")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def log_request(scope: Scope, status: int, started: float) -> None:
    """The request's one access-log line; `started` is its `time.perf_counter()` start."""
    if not logger.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "client": scope["client"][0] if scope.get("client") else None,
    }
    logger.info("request", extra={"fields": fields})
