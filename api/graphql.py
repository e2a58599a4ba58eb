"""The `/graphql` endpoint: Strawberry's FastAPI router, made to follow the GraphQL-over-HTTP spec.

`application/json` clients get 200 for every well-formed request; clients that accept
`application/graphql-response+json` get that media type and 4xx for requests refused before
execution. Malformed HTTP requests get a GraphQL-shaped `{"errors": [...]}` body, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, PlainTextResponse, Response
from strawberry.fastapi import GraphQLRouter as StrawberryRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api import metrics
from api.middleware.request_id import current_request_id
from api.graphiql import graphiql_html
from api.policies import context_config
from api.settings import Settings
from schema import build_schema
from schema.context import Context
from schema.errors import INTERNAL_SERVER_ERROR, error_code, format_error, is_request_error
from schema.execution.direct import execute_directly
from schema.hooks import Hooks

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def accepts_graphql_response(accept: str | None) -> bool:
    """True when the client prefers `application/graphql-response+json` (ties go to it, as the spec asks)."""
    best = {GRAPHQL_RESPONSE_JSON: 0.0, "application/json": 0.0}
    for part in (accept or "").split(","):
        media_type, *params = (item.strip() for item in part.split(";"))
        media_type = media_type.lower()
        if media_type not in best:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media_type] = max(best[media_type], quality)
    return best[GRAPHQL_RESPONSE_JSON] > 0 and best[GRAPHQL_RESPONSE_JSON] >= best["application/json"]


def error_response(status: int, message: str, *, graphql_response: bool) -> Response:
    headers = {"Allow": "POST"} if status == 405 else None
    body = {"errors": [{"message": message, "extensions": {"code": _HTTP_ERROR_CODES.get(status, "BAD_REQUEST")}}]}
    return JSONResponse(
        body,
        status_code=status,
        headers=headers,
        media_type=GRAPHQL_RESPONSE_JSON if graphql_response else "application/json",
    )


class GraphQLRouter(StrawberryRouter):
    """Strawberry's router as a view only: the app mounts `handle_http` itself, and no route of the
    router's own is kept."""

    def __init__(
        self, *args: Any, settings: Settings, context_factory: Callable[[HTTPConnection], Context], **kwargs: Any
    ) -> None:
        super().__init__(*args, subscription_protocols=(), **kwargs)
        self.settings = settings
        self.context_factory = context_factory
        # GET and POST skip FastAPI's dependency injection, which cost more per request than
        # building the context: the app routes them to `handle_http`
        # with a plain Starlette route. The WebSocket route goes too: the schema has no subscriptions,
        # and a WebSocket would bypass the HTTP-only middleware (body limit, access log).
        self.routes.clear()

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html(self.settings.graphiql_assets_url)

    async def handle_http(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):  # Starlette's route also admits HEAD with GET
            raise StarletteHTTPException(405, headers={"Allow": "GET, POST"})
        # The sub-response FastAPI would inject: headers (cookies) set on it are copied to the answer.
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        context = self.context_factory(request)
        context.request, context.response = request, sub_response
        if request.method == "POST" and self.schema.direct_execution:
            response = await self._run_directly(request, context, sub_response)
            if response is not None:
                return response
        self.temporal_response = sub_response
        try:
            return await self.run(request=request, context=context, root_value=None)
        except HTTPException as error:
            return PlainTextResponse(error.reason, status_code=error.status_code)

    async def _run_directly(self, request: Request, context: Context, sub_response: Response) -> Response | None:
        """The response to a POSTed operation that may skip Strawberry's view and per-operation machinery
        (schema/execution/direct.py), or None: the standard path then reads the same (cached) body."""
        try:
            data = await self.parse_http_body(self.request_adapter_class(request))
        except HTTPException:
            return None  # the standard path refuses it the same way
        if data.query is None:
            return None
        result = await execute_directly(
            self.schema, data.query, context=context, variables=data.variables,
            operation_name=data.operation_name, extensions=data.extensions,
        )
        if result is None:
            return None
        response = self.create_response(response_data=await self.process_result(request, result), sub_response=sub_response)
        return self._negotiated(request, response, accepts_graphql_response(request.headers.get("accept")))

    async def run(self, request: Request, context: Any = UNSET, root_value: Any = UNSET) -> Response:
        # No await may come before super().run(): it reads `self.temporal_response`, set just before.
        graphql_response = accepts_graphql_response(request.headers.get("accept"))
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as error:
            return error_response(error.status_code, error.reason, graphql_response=graphql_response)
        return self._negotiated(request, response, graphql_response)

    @staticmethod
    def _negotiated(request: Request, response: Response, graphql_response: bool) -> Response:
        """The GraphQL-over-HTTP media type and status for clients that accept them."""
        status = getattr(request.state, "graphql_status", None)
        if status is None:  # GraphiQL's page, not a GraphQL response
            return response
        if graphql_response:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if response.status_code == 200:
                response.status_code = status
        return response

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        try:
            return await super().execute_single(
                request=request, request_adapter=request_adapter, sub_response=sub_response,
                context=context, root_value=root_value, request_data=request_data,
            )
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise HTTPException(405, "Mutations must be sent with POST") from error
            raise

    async def parse_http_body(self, request) -> GraphQLRequestData:
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        else:
            content_type = request.content_type or ""
            if content_type != "application/json":  # the usual header needs no parsing (email.message's is slow)
                content_type, _ = parse_content_type(content_type)
            if content_type == "application/json":
                data = self.parse_json(await request.get_body())
            elif content_type == "application/graphql":
                data = {"query": _utf8(await request.get_body())}
            else:
                raise HTTPException(415, "Send the operation as application/json")
        if isinstance(data, list):
            raise HTTPException(400, "Batched operations are not supported")
        if not isinstance(data, dict):
            raise HTTPException(400, "The request body must be a JSON object")
        for name, expected, label in (
            ("query", str, "a string"),
            ("operationName", str, "a string"),
            ("variables", dict, "an object"),
            ("extensions", dict, "an object"),
        ):
            if data.get(name) is not None and not isinstance(data[name], expected):
                raise HTTPException(400, f"`{name}` must be {label} or null")
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            protocol="http",
        )

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses invalid UTF-8, lone surrogates and absurd nesting with a JSONDecodeError (400),
        # where `json.loads` raises UnicodeDecodeError or RecursionError (500).
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        errors = result.errors or []
        refused = result.data is None and is_request_error(errors)
        if refused:
            internal = any(error_code(error) == INTERNAL_SERVER_ERROR for error in errors)
            request.state.graphql_status = 500 if internal else 400
        else:
            request.state.graphql_status = 200
        # The GraphQL spec: a request that fails before execution has no `data` entry at all.
        body: dict[str, Any] = {} if refused else {"data": result.data}
        if errors:
            request_id = current_request_id.get()
            body["errors"] = [format_error(error, debug=self.settings.debug, request_id=request_id) for error in errors]
        if result.extensions:
            body["extensions"] = result.extensions
        return body  # type: ignore[return-value]


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "The request body is not valid UTF-8") from None


def _count_sign_in_refusal(code: str) -> None:
    if code == "RATE_LIMITED":
        metrics.record_rate_limit_hit()
    else:
        metrics.record_sign_in_failure(reason=code.lower())


HOOKS = Hooks(request_id=current_request_id.get, sign_in_refused=_count_sign_in_refusal)


def create_graphql_router(settings: Settings) -> GraphQLRouter:
    config = context_config(settings, HOOKS)

    def make_context(connection: HTTPConnection) -> Context:
        return Context(database=connection.app.state.database, config=config)

    return GraphQLRouter(
        build_schema(
            introspection=settings.introspection_enabled,
            caches=settings.graphql_caches,
            fast_path=settings.graphql_fast_path,
            hooks=HOOKS,
            max_query_cost=settings.max_query_cost,
        ),
        settings=settings,
        context_factory=make_context,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
    )
