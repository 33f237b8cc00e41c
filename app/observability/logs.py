"""Log lines: one JSON object a line in production, a readable line in development.

One configuration (`dict_config`) for every logger that writes: the app's, uvicorn's own
(`uvicorn`, `uvicorn.error`, `uvicorn.access`) and, through the root logger, any library's. It
is a `logging.config.dictConfig` dictionary, so `python -m app` hands the same one to uvicorn
as its `log_config`, which applies it in each worker process it starts, before the app loads.

A record's `fields` extra becomes top-level keys (`logger.info("request", extra={"fields":
{...}})`); its `request_id`, when a filter has set one, is printed beside them.
"""

import logging
import logging.config
import time
from typing import Any, Literal

import orjson

from app.config import Environment, Settings

LogFormat = Literal["json", "console"]
# The loggers given a handler; their children (app.access, uvicorn.error) propagate to them.
_LOGGERS = ("app", "uvicorn", "uvicorn.access")


def log_format(settings: Settings) -> LogFormat:
    """LOG_FORMAT, or by default: readable in development, JSON everywhere else."""
    if settings.log_format is not None:
        return settings.log_format
    return "console" if settings.environment is Environment.development else "json"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = getattr(record, "fields", {})
    return fields


class JsonFormatter(logging.Formatter):
    """Records as JSON objects: time, level, logger, message, request_id, the `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """`12:04:05.123 INFO  app.access  request  method=GET status=200 … [request id]`."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", self.converter(record.created))
        parts = [
            f"{clock}.{int(record.msecs):03d}",
            f"{record.levelname:<7}",
            f"{record.name:<12}",
            record.getMessage(),
            *(f"{name}={value}" for name, value in _fields(record).items()),
        ]
        request_id = getattr(record, "request_id", None)
        if request_id:
            parts.append(f"[{request_id}]")
        line = "  ".join(parts)
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def dict_config(
    fmt: LogFormat, level: str, *, context: type[logging.Filter] | None = None
) -> dict[str, Any]:
    """The `dictConfig` for every logger, writing to stderr in `fmt`; `context` is a filter
    class that adds attributes (the request id) to each record before it is formatted.

    Existing loggers stay enabled (`disable_existing_loggers` is off): applying it again, as
    the app factory does after uvicorn has, changes nothing but the handlers."""
    formatter = JsonFormatter if fmt == "json" else ConsoleFormatter
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    filters: dict[str, Any] = {}
    if context is not None:
        filters["context"] = {"()": context}
        handler["filters"] = ["context"]
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"default": {"()": formatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False} for name in _LOGGERS
        },
        # Everything else that logs (asyncio, libraries) in the same form, warnings and up.
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure(fmt: LogFormat, level: str, *, context: type[logging.Filter] | None = None) -> None:
    logging.config.dictConfig(dict_config(fmt, level, context=context))
    logging.captureWarnings(True)  # Python's warnings as log lines too, not bare stderr text
