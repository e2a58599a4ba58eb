"""The executor that runs queries by their cached plan (plan.py) when there is one; anything else, and
anything a plan gives up on, goes through graphql-core's standard executor, so results and errors are
exactly the standard ones (tests/schema/test_fastpath.py runs documents both ways and compares)."""

from __future__ import annotations

from typing import Any

from graphql import OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan import execute_plan, plan_cache


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry passes a manager on every request; it is empty unless an extension has `resolve`,
        # whose hooks a plan would skip.
        self._plannable = self.middleware_manager is None or not self.middleware_manager.middlewares

    def execute_collected_root_fields(self, root_type, root_value, grouped_field_set, serially, new_defer_usages):
        def standard() -> Any:
            return super(FastExecutionContext, self).execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )

        if (
            not self._plannable
            or serially
            or new_defer_usages
            or self.abort_signal is not None
            or self.operation.operation is not OperationType.QUERY
        ):
            return standard()
        cache = plan_cache(self.schema)
        plan = cache.plan_for(self, root_type, grouped_field_set)
        if plan is None:
            return standard()
        return execute_plan(self, cache, plan, root_value, standard)
