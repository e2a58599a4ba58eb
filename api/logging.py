"""Logging set-up in one place: JSON lines in production, readable text in development, the request
ID on every line logged during a request. Used by the CLI and, through `log_config`, by uvicorn."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson

from api.middleware.request_id import current_request_id
from api.settings import Settings

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# uvicorn adds a coloured copy of its messages; it is noise in JSON.
_IGNORED_EXTRAS = frozenset({"color_message"})


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and key not in _IGNORED_EXTRAS
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid, request ID and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # what orjson refuses (integers beyond 64 bits, non-string keys) json takes
            return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request-id] message`, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(request_tag)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        record.request_tag = f" [{request_id}]" if request_id else ""
        try:
            return super().format(record)
        finally:
            del record.request_tag


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; also given to uvicorn as `log_config`."""
    formatter = JsonFormatter if settings.resolved_log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"usergraph": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "usergraph", "stream": "ext://sys.stderr"},
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level},
        "loggers": {
            # Everything goes to the root handler once; uvicorn's own handlers would print twice.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # Replaced by usergraph.access (api/middleware/access_log.py), which knows the operation.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    # Record attributes no formatter here prints, each collected for every line (the access log writes
    # one per request): the caller's frame, the thread and the multiprocessing process name. This is
    # the logging HOWTO's own "Optimization" advice.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging.config.dictConfig(logging_config(settings))
