"""The innermost middleware: `POST /graphql`, nearly every request the API gets, goes straight to the
GraphQL endpoint.

FastAPI's exception middleware, exit stack and router (route matching, the endpoint's request/response
wrapper and its exception handling) do nothing for it: the endpoint answers every error it meets
itself, so their per-request cost buys nothing on the one route nearly every request takes. Everything
outside (server errors, the request ID, the access log, CORS, the body limit) still applies. Other
methods and paths, and an app served under a root path, take the router. What it gains is measured in
docs/performance.md, which decides whether it stays.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


class GraphQLPostShortcut:
    def __init__(self, app: ASGIApp, *, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql" and not scope.get(
            "root_path"
        ):
            response = await self.endpoint(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
