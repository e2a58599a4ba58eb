"""The `/graphql` endpoint: Strawberry's FastAPI router with a typed per-request context."""

from __future__ import annotations

from fastapi import Request
from strawberry.fastapi import GraphQLRouter

from api.settings import Settings
from schema import build_schema
from schema.context import Context


def create_graphql_router(settings: Settings) -> GraphQLRouter:
    async def get_context(request: Request) -> Context:
        return Context(database=request.app.state.database, settings=request.app.state.settings)

    return GraphQLRouter(
        build_schema(),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
    )
