"""What the executor's shortcuts need to know about Strawberry fields: how Strawberry would read a field
off its parent, and how it calls a resolver, for the fields where that is all its wrapper does."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from operator import attrgetter
from typing import Any

from graphql import GraphQLField
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UnsetType


def _definition(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field behind a graphql-core field (not for subscriptions)."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) and not field.subscribe else None


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
    definition = _definition(field)
    return None if definition is None else _reader(definition)


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
        definition = _definition(field)
        if definition is None or definition.base_resolver is None:
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
        if not self.arguments:
            return {}, True
        converted = convert_arguments(
            raw_arguments, self.arguments, scalar_registry=self.registry, config=self.config, info=info
        )
        return converted, all(isinstance(value, _IMMUTABLE) for value in converted.values())

    def __call__(self, source: Any, info: Any, arguments: dict[str, Any]) -> Any:
        if self.info_name is not None:
            arguments = {**arguments, self.info_name: info}
        return self.func(source, **arguments) if self.takes_self else self.func(**arguments)
