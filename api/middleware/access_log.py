"""One access log line and the request metrics per HTTP request, with the GraphQL operation's name,
outcome and user when `schema.observability.record_operation` left them on the request."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from schema.observability import STATE_KEY, OperationRecord

log = logging.getLogger("usergraph.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Created here so that the state dict the GraphQL layer writes to is the one read below.
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            seconds = time.perf_counter() - started
            operation: OperationRecord | None = state.get(STATE_KEY)
            metrics.record_http_request(scope["path"], status)
            if operation is not None:
                metrics.record_graphql_operation(operation.name, operation.outcome, seconds)
            if self.log_requests:
                _log_request(scope, status, seconds, operation)


def _log_request(scope: Scope, status: int, seconds: float, operation: OperationRecord | None) -> None:
    # The query string is left out on purpose: GET /graphql carries the document and its variables.
    fields = {
        "request_id": scope["state"].get("request_id"),
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": scope["client"][0] if scope.get("client") else None,
    }
    summary = f"{fields['method']} {fields['path']} {status} {fields['duration_ms']:.1f}ms"
    if operation is not None:
        fields.update(operation=metrics.clean_operation_name(operation.name), outcome=operation.outcome, user_id=operation.user_id)
        summary += f" {fields['operation']} {operation.outcome}"
        if operation.user_id:
            summary += f" user={operation.user_id}"
    log.info("%s", summary, extra=fields)
