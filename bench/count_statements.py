"""SQL statements per request, counted in-process: the real app through httpx's ASGI transport with a
SQLAlchemy `before_cursor_execute` listener, plus the statements sent straight to asyncpg (the viewer
lookup of queries, db/services/sessions.py), seen by asyncpg's query logger. Transaction control
(BEGIN/COMMIT/ROLLBACK/SAVEPOINT) is not a statement here; it is counted, with the pool's pre-ping, in
the round trips to PostgreSQL (through the same query logger, which sees what bypasses the cursor; it
does not see the cursor's prepared statements, so nothing is counted twice). Prints one JSON object:
operation -> {"statements": n, "round_trips": m}, or "n/a (reason)".

    uv run python -m bench.count_statements [--database-url URL] [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys

os.environ.setdefault("ENVIRONMENT", "production")

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench import operations  # noqa: E402
from bench.database import admin_token, bench_url  # noqa: E402

_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|;?\s*$)", re.IGNORECASE)
MEASURED = {"viewer": operations.VIEWER, "users(first: 100) x sessions(first: 5)": operations.USERS,
            "users(first: 1) x sessions(first: 5)": operations.USERS_ONE, "__typename": operations.TINY,
            "securityEvents(first: 100) with actor and user": operations.EVENTS,
            "securityEvents(first: 1) with actor and user": operations.EVENTS_ONE}


async def _settle() -> None:
    """Let asyncpg deliver its query-log callbacks (scheduled on the loop after each query)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def count(url: str, verbose: bool) -> dict[str, dict | str]:
    from api.app import create_app
    from api.settings import Settings

    token = await admin_token(url)
    app = create_app(Settings(database_url=url, environment="production"))
    statements: list[str] = []
    control: list[str] = []  # BEGIN, COMMIT, ROLLBACK and the pre-ping's ";", sent outside the cursor
    results: dict[str, dict | str] = {}
    async with LifespanManager(app) as manager:
        engine = app.state.database.engine

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def record(_conn, _cursor, statement, *_args) -> None:
            (control if _TRANSACTION_CONTROL.match(statement) else statements).append(statement)

        @event.listens_for(engine.sync_engine, "connect")
        def log_simple_queries(dbapi_connection, _record) -> None:
            def log(logged) -> None:
                (control if _TRANSACTION_CONTROL.match(logged.query) else statements).append(logged.query)

            dbapi_connection.driver_connection.add_query_logger(log)

        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, query in MEASURED.items():
                for _attempt in ("warm-up", "counted"):  # the first request also pays for connecting
                    await _settle()
                    statements.clear()
                    control.clear()
                    response = await client.post(
                        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
                    )
                    await _settle()
                problem = operations.problem(response.status_code, response.json())
                counts = {"statements": len(statements), "round_trips": len(statements) + len(control)}
                results[name] = f"n/a ({problem})" if problem else counts
                if verbose:
                    print(f"--- {name}", *statements, "-- transaction control and pings:", *control, sep="\n",
                          file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=bench_url())
    parser.add_argument("--verbose", action="store_true", help="print the statements on stderr")
    args = parser.parse_args()
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)  # expected "n/a" errors
    print(json.dumps(asyncio.run(count(args.database_url, args.verbose))))


if __name__ == "__main__":
    main()
