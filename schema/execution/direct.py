"""Direct execution: a POSTed operation whose document parses and validates cleanly runs straight through
graphql-core's `execute` with the schema's executor, without the per-operation machinery of Strawberry's
`Schema.execute` (an execution context, extension instances, a runner and nested context managers for the
parse, validate and execute hooks), a large share of a small authenticated query's CPU time.

What those hooks do for this schema is done here in the same order: the document is parsed and validated
through the same cached checks, errors are logged before the operation ends, the operation is recorded
and its session committed (no errors) or rolled back, and an exception becomes the operation's only
error. Whatever Strawberry answers before execution (a syntax error, a validation error, a cost over
budget, an operation name that selects nothing) is left to Strawberry: `execute_directly` returns None and
the standard path answers, from the same caches. CI runs the whole suite both ways (GRAPHQL_FAST_PATH off
on SQLite, on on PostgreSQL) and tests/schema/test_fastpath.py compares answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, execute
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult

from schema.context import Context
from schema.execution.strawberry_schema import core_schema
from schema.extensions import end_operation

if TYPE_CHECKING:
    from schema import Schema

_DIRECT = (OperationType.QUERY, OperationType.MUTATION)


def _selected(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request selects, as graphql-core selects it, or None where Strawberry or graphql-core
    would refuse the request."""
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((node for node in operations if node.name and node.name.value == operation_name), None)


async def execute_directly(
    schema: Schema,
    query: str,
    *,
    context: Context,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> ExecutionResult | None:
    """The operation's result as `Schema.execute` would give it, or None when it must go that way."""
    checks, core = schema.checks, core_schema(schema)
    try:
        document = checks.parse(query)
    except GraphQLError:
        return None
    operation = _selected(document, operation_name)
    if (
        operation is None
        or operation.operation not in _DIRECT
        or checks.validate(core, query, document)
        or checks.cost_refusal(core, query, document, operation_name, variables)
    ):
        return None
    schema.direct_runs += 1
    name = operation.name.value if operation.name else None
    result = None  # set once execution completed
    try:
        try:
            executed = execute(
                core,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                executor_class=schema.execution_context_class,
                is_awaitable=optimized_is_awaitable,
                **schema.execute_kwargs(extensions),
            )
            result = await executed if optimized_is_awaitable(executed) else executed
            if result.errors:
                schema.process_errors(result.errors)  # logged before the operation ends, as Strawberry does
        finally:
            await end_operation(context, name=name, succeeded=result is not None and not result.errors)
    except Exception as error:  # noqa: BLE001 - as in Strawberry's Schema.execute: the operation's only error
        errors = [error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)]
        schema.process_errors(errors)
        return ExecutionResult(data=None, errors=errors, extensions={})
    return ExecutionResult(data=result.data, errors=result.errors, extensions={})
