"""A faster executor for the commonest field: a leaf read straight off its parent (`email`, `createdAt`,
`id`), which graphql-core and Strawberry otherwise resolve through a ResolveInfo, argument handling and
several wrapper calls. Anything unusual falls back to the standard executor, so results and errors are
exactly the standard ones (tests/schema/test_fastpath.py runs documents both ways and compares)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLSchema, OperationType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan import execute_plan, plan_cache
from schema.execution.strawberry_fields import plain_reader

# Set on a GraphQLField that the fast path may serve: (read the value off the parent, serialize it).
PLAIN_LEAF = "usergraph-plain-leaf"


def mark_plain_leaves(schema: GraphQLSchema) -> int:
    """Mark every field of an object type that returns a scalar or an enum and is read as above;
    returns how many were marked."""
    marked = 0
    for type_ in schema.type_map.values():
        fields: dict[str, GraphQLField] = getattr(type_, "fields", None) or {}
        if type_.name.startswith("__") or not hasattr(type_, "is_type_of"):
            continue
        for field in fields.values():
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            reader = plain_reader(field) if is_leaf_type(leaf) else None
            if reader is not None:
                field.extensions = {**field.extensions, PLAIN_LEAF: (reader, leaf.serialize)}
                marked += 1
    return marked


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Runs queries by their cached plan (schema/execution/plan.py) when there is one, and otherwise
    serves marked fields without a ResolveInfo when the value is present and serializes cleanly;
    a null, an exception or a middleware (a Strawberry extension with a `resolve` hook) means the
    standard path, which reads the field again and reports exactly what it always would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry passes a manager on every request; it is empty unless an extension has `resolve`.
        self._fast = self.middleware_manager is None or not self.middleware_manager.middlewares

    def execute_collected_root_fields(self, root_type, root_value, grouped_field_set, serially, new_defer_usages):
        def standard() -> Any:
            return super(FastExecutionContext, self).execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )

        if (
            not self._fast
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

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        if self._fast:
            node = field_details_list[0].node
            field = parent_type.fields.get(node.name.value)
            plain = field.extensions.get(PLAIN_LEAF) if field is not None and not node.arguments else None
            if plain is not None:
                read, serialize = plain
                try:
                    value = read(source)
                    if value is not None and not isinstance(value, Exception):
                        serialized = serialize(value)
                        if serialized is not None and serialized is not Undefined:
                            return serialized
                except Exception:  # noqa: BLE001, S110 - the standard path below reports it
                    pass
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
