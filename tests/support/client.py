"""An httpx client wired to the real ASGI app, lifespan included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager


class GraphQLClient(httpx.AsyncClient):
    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """POST a GraphQL operation and return the decoded body (any HTTP status)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kwargs)
        return response.json()


@asynccontextmanager
async def app_client(settings, **client_kwargs: Any) -> AsyncIterator[GraphQLClient]:
    from api.app import create_app

    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 50000))
        async with GraphQLClient(transport=transport, base_url="http://testserver", **client_kwargs) as client:
            client.app = app
            yield client
