"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import RedirectResponse
from starlette.routing import Route

from api import health, metrics
from api.graphql import create_graphql_router
from api.mail.worker import stop_worker, worker_from_settings
from api.middleware.access_log import AccessLogMiddleware
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.request_id import RequestIdMiddleware
from api.runtime import tuned_gc
from api.settings import Settings, get_settings
from db.engine import Database


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.mail = worker_from_settings(settings)  # refuses production without a way to send mail
        app.state.database = Database.from_settings(settings)
        metrics.track_pool(app.state.database.engine)
        app.state.mail.start()
        try:
            with tuned_gc(settings.gc_tuning):
                yield
        finally:
            await stop_worker(app.state.mail)
            await app.state.database.dispose()
            metrics.process_stopped()

    app = FastAPI(
        title="usergraph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.graphql = create_graphql_router(settings)  # its schema's caches are inspected by tests
    app.add_middleware(BodyLimitMiddleware)  # inside CORS, so a browser can read the 413
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
    )
    app.add_middleware(AccessLogMiddleware, log_requests=settings.access_log)
    # Outermost, so every response (CORS refusals included) carries the request ID.
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    if settings.metrics_on_api_port:
        app.include_router(metrics.create_metrics_router(settings.metrics_token))
    if settings.test_endpoints and not settings.is_production:
        from api import debug

        app.include_router(debug.router)
    graphql_http = Route("/graphql", app.state.graphql.handle_http, methods=["GET", "POST"], include_in_schema=False)
    graphql_http.methods.discard("HEAD")  # Starlette adds it to GET routes; /graphql never answered HEAD
    app.router.routes.insert(0, graphql_http)  # matched first: the route nearly every request takes
    if settings.graphiql_enabled:
        # A newcomer's first address: `/` leads to GraphiQL (outside production, where it is on).
        app.add_route("/", lambda _request: RedirectResponse("/graphql"), include_in_schema=False)
    return app
