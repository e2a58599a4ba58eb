"""Give every request an ID: taken from a sane `X-Request-ID` header or made up, echoed in the response,
kept in `scope["state"]["request_id"]` and in a context variable for log lines and error extensions."""

from __future__ import annotations

import os
import random
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # fullmatch: `$` would let a trailing newline through

# Request IDs need to be unique, not secret: a pseudo-random generator seeded from the OS, again in
# every forked child, instead of an OS call per request (os.urandom showed in a small query's profile).
_random_ids = random.Random()
os.register_at_fork(after_in_child=_random_ids.seed)

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")
        request_id = incoming if _SANE.fullmatch(incoming) else f"{_random_ids.getrandbits(128):032x}"
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
