"""What the schema package needs from Strawberry's `Schema` beyond its public API, kept here with the rest
of what leans on library internals."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLSchema


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built from ours (it keeps it in `Schema._schema`)."""
    return schema._schema


class HidesSuggestions:
    """A `strawberry.Schema` mixin: graphql-core's "Did you mean …" hints, which reveal field and type
    names as introspection would, are hidden when `hide_suggestions` says so. Variables are coerced in
    graphql-core's `execute`, whose arguments Strawberry builds in `_get_custom_context_kwargs`."""

    hide_suggestions: bool

    def _get_custom_context_kwargs(self, operation_extensions=None, *, sync: bool = False) -> dict[str, Any]:
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)  # type: ignore[misc]
        return {**kwargs, "hide_suggestions": self.hide_suggestions}

    def execute_kwargs(self, operation_extensions: Any) -> dict[str, Any]:
        """The extra keyword arguments of graphql-core's `execute`, for direct execution."""
        return self._get_custom_context_kwargs(operation_extensions)
