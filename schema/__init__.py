"""The Strawberry schema: types and thin resolvers over the services in `db/`."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.cost import DEFAULT_MAX_COST
from schema.errors import log_errors
from schema.execution import fast_path_allowed
from schema.execution.executor import FastExecutionContext
from schema.execution.strawberry_schema import HidesSuggestions
from schema.extensions import RecordedTransaction
from schema.hooks import Hooks
from schema.mutations import Mutation
from schema.queries import Query
from schema.scalars import SCALARS
from schema.types.security_event import SecurityEvent
from schema.types.session import Session
from schema.types.user import User
from schema.validation import DocumentChecks


class Schema(HidesSuggestions, strawberry.Schema):
    """Strawberry's schema with our document checks, error log policy and suggestion hiding."""

    def __init__(
        self, *args: Any, checks: DocumentChecks, direct_execution: bool = False, hooks: Hooks = Hooks(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.checks = checks
        self.hooks = hooks
        # POSTed operations may skip Strawberry's per-operation machinery (schema/execution/direct.py),
        # which must then do what this schema's extensions do.
        self.direct_execution = direct_execution
        self.direct_runs = 0

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Strawberry logs every error with a traceback, client syntax errors included.
        log_errors(errors, self.hooks.request_id())

    @property
    def hide_suggestions(self) -> bool:
        return self.checks.hide_suggestions


def build_schema(
    *,
    introspection: bool = True,
    caches: bool = True,
    fast_path: bool = True,
    max_query_cost: int = DEFAULT_MAX_COST,
    hooks: Hooks = Hooks(),
) -> Schema:
    checks = DocumentChecks(introspection=introspection, cached=caches, max_cost=max_query_cost)
    fast_path = fast_path_allowed(fast_path)
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[User, Session, SecurityEvent],
        # The checks parse and validate; RecordedTransaction wraps the whole operation, records it
        # and then commits or rolls back.
        extensions=[checks.extension(), RecordedTransaction],
        execution_context_class=FastExecutionContext if fast_path else None,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
        checks=checks,
        direct_execution=fast_path,
        hooks=hooks,
    )
