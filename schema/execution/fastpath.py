"""A faster executor for the commonest field: a leaf read straight off its parent (`email`, `createdAt`,
`id`), which graphql-core and Strawberry otherwise resolve through a ResolveInfo, argument handling and
several wrapper calls. Anything unusual falls back to the standard executor, so results and errors are
exactly the standard ones (tests/test_fastpath.py runs documents both ways and compares)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from operator import attrgetter
from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLSchema, OperationType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UnsetType

from schema.execution.plan import execute_plan, plan_cache

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
        if default is getattr:  # Strawberry's default: the same lookup, without a Python frame
            return attrgetter(name)
        return lambda source: default(source, name)
    parameters = list(resolver.signature.parameters)
    if resolver.is_async or resolver.self_parameter is None or len(parameters) != 1:
        return None
    return resolver.wrapped_func


def plain_reader(field: GraphQLField) -> Callable[[Any], Any] | None:
    """The reader of a Strawberry field that needs nothing but its parent, whatever its type."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or field.subscribe:
        return None
    return _reader(definition)


# Converted argument values a resolver cannot change, so one conversion can serve every parent.
_IMMUTABLE = (type(None), bool, int, float, str, Enum, UnsetType)


class ResolverCall:
    """Calls a Strawberry resolver as Strawberry's own wrapper does (arguments converted to Python values,
    `self` and `info` injected), for resolvers that wrapper adds nothing else to: no field extensions,
    permission classes, directives or exception handlers. Lets a plan convert arguments once per
    operation instead of once per parent."""

    __slots__ = ("arguments", "config", "definition", "func", "info_class", "info_name", "registry", "takes_self")

    def __init__(self, definition: StrawberryField, schema: Any) -> None:
        resolver = definition.base_resolver
        self.definition = definition
        self.func = resolver.wrapped_func
        self.takes_self = resolver.self_parameter is not None
        self.info_name = resolver.info_parameter.name if resolver.info_parameter else None
        self.arguments = definition.arguments
        self.config = schema.config
        self.info_class = schema.config.info_class
        self.registry = schema.schema_converter.scalar_registry

    @classmethod
    def of(cls, field: GraphQLField, schema: Any) -> ResolverCall | None:
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryField) or field.subscribe or definition.base_resolver is None:
            return None
        resolver = definition.base_resolver
        if definition.extensions or definition.permission_classes or definition.directives:
            return None
        if resolver.parent_parameter or resolver.root_parameter or getattr(schema, "exception_handlers", ()):
            return None
        return cls(definition, schema)

    def info(self, raw_info: Any) -> Any:
        return self.info_class(_raw_info=raw_info, _field=self.definition)

    def convert(self, raw_arguments: dict[str, Any], info: Any) -> tuple[dict[str, Any], bool]:
        """The Python arguments, and whether they may be shared by every call in the operation."""
        converted = convert_arguments(
            raw_arguments, self.arguments, scalar_registry=self.registry, config=self.config, info=info
        )
        return converted, all(isinstance(value, _IMMUTABLE) for value in converted.values())

    def __call__(self, source: Any, info: Any, arguments: dict[str, Any]) -> Any:
        if self.info_name is not None:
            arguments = {**arguments, self.info_name: info}
        return self.func(source, **arguments) if self.takes_self else self.func(**arguments)


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
        plan = cache.plan_for(self, root_type, grouped_field_set, plain_reader, ResolverCall.of)
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
