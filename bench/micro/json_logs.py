"""One JSON log line: api/logging.py's `JsonFormatter` against python-json-logger (its json and orjson
formatters) and structlog's `ProcessorFormatter` with a JSON renderer, each producing the same fields
for an access-log record (time, level, logger, message, pid, request ID and the `extra` fields).

    uv run --with python-json-logger --with structlog python -m bench.micro.json_logs
"""

from __future__ import annotations

import logging

import orjson

from api.logging import JsonFormatter
from bench.micro._timing import per_call_us

CALLS = 50_000
EXTRA = {
    "request_id": "5b0c7e9d2f4a4c1e8e1f0a9b3c2d1e0f", "method": "POST", "path": "/graphql", "status": 200,
    "duration_ms": 0.84, "client": "127.0.0.1", "operation": "Viewer", "outcome": "ok", "user_id": None,
}


def record() -> logging.LogRecord:
    return logging.makeLogRecord({
        "name": "usergraph.access", "levelno": logging.INFO, "levelname": "INFO",
        "msg": "%s", "args": ("POST /graphql 200 0.8ms Viewer ok",), **EXTRA,
    })


def main() -> None:
    formatters: dict[str, logging.Formatter] = {"JsonFormatter (ours, orjson)": JsonFormatter()}
    try:
        from importlib.metadata import version

        from pythonjsonlogger.json import JsonFormatter as PythonJsonFormatter
        from pythonjsonlogger.orjson import OrjsonFormatter
    except ImportError:
        print("python-json-logger is not installed: run with `uv run --with python-json-logger ...`")
    else:
        options = dict(
            fmt=["levelname", "name", "message", "process"], timestamp="time",
            rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
        )
        release = version("python-json-logger")
        formatters[f"python-json-logger {release}, json"] = PythonJsonFormatter(**options)
        formatters[f"python-json-logger {release}, orjson"] = OrjsonFormatter(**options)
    try:
        import structlog
    except ImportError:
        print("structlog is not installed: run with `uv run --with structlog ...`")
    else:
        formatters[f"structlog {structlog.__version__} ProcessorFormatter, orjson"] = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", key="time"), structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(serializer=lambda event, **_: orjson.dumps(event).decode()),
            ],
        )
    for name, formatter in formatters.items():
        print(f"{per_call_us(lambda: formatter.format(record()), calls=CALLS):6.2f} µs  {name}")
        print(f"           {formatter.format(record())}")


if __name__ == "__main__":
    main()
