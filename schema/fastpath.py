"""A faster executor for the commonest field: a leaf read straight off its parent (`email`, `createdAt`,
`id`), which graphql-core and Strawberry otherwise resolve through a ResolveInfo, argument handling and
several wrapper calls. Anything unusual falls back to the standard executor, so results and errors are
exactly the standard ones (tests/test_fastpath.py runs documents both ways and compares)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLSchema, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Set on a GraphQLField that the fast path may serve: (read the value off the parent, serialize it).
PLAIN_LEAF = "usergraph-plain-leaf"


def _reader(field: StrawberryField) -> Callable[[Any], Any] | None:
    """How Strawberry would get this field's value from its parent, when that needs nothing but the
    parent: an attribute, or a synchronous method taking only `self`."""
    if field.extensions or field.permission_classes or field.arguments or field.directives:
        return None
    resolver = field.base_resolver
    if resolver is None:
        name, default = field.python_name, field.default_resolver
        return lambda source: default(source, name)
    parameters = list(resolver.signature.parameters)
    if resolver.is_async or resolver.self_parameter is None or len(parameters) != 1:
        return None
    return resolver.wrapped_func


def mark_plain_leaves(schema: GraphQLSchema) -> int:
    """Mark every field of an object type that returns a scalar or an enum and is read as above;
    returns how many were marked."""
    marked = 0
    for type_ in schema.type_map.values():
        fields: dict[str, GraphQLField] = getattr(type_, "fields", None) or {}
        if type_.name.startswith("__") or not hasattr(type_, "is_type_of"):
            continue
        for field in fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not isinstance(definition, StrawberryField) or not is_leaf_type(leaf) or field.subscribe:
                continue
            reader = _reader(definition)
            if reader is not None:
                field.extensions = {**field.extensions, PLAIN_LEAF: (reader, leaf.serialize)}
                marked += 1
    return marked


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Serves marked fields without a ResolveInfo when the value is present and serializes cleanly;
    a null, an exception or a middleware (a Strawberry extension with a `resolve` hook) means the
    standard path, which reads the field again and reports exactly what it always would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry passes a manager on every request; it is empty unless an extension has `resolve`.
        self._fast = self.middleware_manager is None or not self.middleware_manager.middlewares

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
