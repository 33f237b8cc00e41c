"""One structured log line per request, carrying its request id; the filter that puts the
request id on every log record (app.observability.logs formats them)."""

import logging
from typing import Any

from starlette.types import Scope

from app.config import Settings
from app.http.request_id import current_request_id
from app.observability import logs
from app.observability.logs import JsonFormatter

__all__ = [
    "JsonFormatter",
    "RequestIdFilter",
    "configure_logging",
    "log_request",
    "uvicorn_log_config",
]

logger = logging.getLogger("app.access")


class RequestIdFilter(logging.Filter):
    """Adds the current request's id (None outside a request) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(level: str, fmt: logs.LogFormat = "json") -> None:
    """The app's, uvicorn's and every library's log lines in `fmt`, with the request id."""
    logs.configure(fmt, level, context=RequestIdFilter)


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """The same configuration as uvicorn's `log_config`: uvicorn applies it in its supervisor
    and in each worker process before the app is loaded, so its first lines match too."""
    return logs.dict_config(logs.log_format(settings), settings.log_level, context=RequestIdFilter)


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """The request's one access-log line; `seconds` is how long it took."""
    if not logger.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": scope["client"][0] if scope.get("client") else None,
    }
    logger.info("request", extra={"fields": fields})
