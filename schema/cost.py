"""Query cost: how many objects an operation could return, so that a document asking for too many is
refused before execution (QUERY_TOO_COMPLEX).

Every object-typed field counts one object per value it may hold; a list multiplies its selection's cost
by its length: the page size of its connection (`first`/`last`, else the default), the number of `ids`
(duplicates count), or MAX_PAGE_SIZE for a list that nothing sizes. Aliases, fragments (once per use)
and every inline fragment of an abstract type are added up: an upper bound. Introspection fields are not
counted; MaxIntrospectionDepthRule bounds them.

A document is compiled once (cached by its text) into a straight-line `Formula` per operation; only the
variables that size a list are read per request, and a document without such variables costs a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# About ten thousand objects: several times the 1,801 of the largest documented query (100 users with 5
# sessions each and their users), far below what aliased pages of 100 nested in pages of 100 would be.
DEFAULT_MAX_COST = 10_000
_PAGE_ARGUMENTS = ("first", "last")
_INT_RANGE = range(-(2**31), 2**31)

Variables = Mapping[str, Any]
# A list's length: known from the document alone, or read from the request's variables.
Size = Union[int, Callable[[Variables], int]]


@dataclass(frozen=True)
class Ref:
    """The value of an earlier step of a formula."""

    index: int


@dataclass(frozen=True)
class Formula:
    """A cost that depends on variables, as straight-line steps: step i is its constant plus, for each
    term (size, offset, ref), size × (offset + the value of step `ref`, if any). Fragments are steps of
    their own, so a fragment spread many times is evaluated once."""

    steps: tuple[tuple[int, tuple[tuple[Size, int, int | None], ...]], ...]

    def __call__(self, variables: Variables) -> int:
        values: list[int] = []
        for constant, terms in self.steps:
            total = constant
            for size, offset, ref in terms:
                count = size if size.__class__ is int else size(variables)
                total += count * (offset if ref is None else offset + values[ref])
            values.append(total)
        return values[-1]


Cost = Union[int, Formula]


def operation_costs(schema: GraphQLSchema, document: DocumentNode) -> dict[str | None, Cost]:
    """Each operation's cost by name, and under None the document's only operation (as graphql-core
    selects an operation when no name is given). Only for documents that passed validation."""
    fragments = {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    costs: dict[str | None, Cost] = {}
    for operation in operations:
        try:
            cost = _Compiler(schema, fragments, operation).compile()
        except RecursionError:  # absurdly nested fragments: nothing legitimate looks like that
            cost = 2**63
        if operation.name:
            costs[operation.name.value] = cost
        if len(operations) == 1:
            costs[None] = cost
    return costs


def cost_of(cost: Cost, variables: Variables | None) -> int:
    return cost if cost.__class__ is int else cost(variables or {})


def too_complex(cost: int, budget: int) -> GraphQLError:
    return GraphQLError(
        f"The operation could return {cost} objects; at most {budget} are allowed. Ask for smaller pages "
        "or fewer nested lists.",
        extensions={"code": QUERY_TOO_COMPLEX, "cost": cost, "budget": budget},
    )


class _Compiler:
    """Compiles one operation's selections into constants where it can and formula steps where a
    variable sizes a list."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], operation: OperationDefinitionNode
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.operation = operation
        self.defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        self.steps: list[tuple[int, tuple[tuple[Size, int, int | None], ...]]] = []
        self.fragment_costs: dict[tuple[str, Any], int | Ref] = {}

    def compile(self) -> Cost:
        root = self.schema.get_root_type(self.operation.operation)
        value = self._selections(root, self.operation.selection_set, None)
        return value if isinstance(value, int) else Formula(tuple(self.steps))

    def _selections(self, parent: Any, selection_set: SelectionSetNode, page: Size | None) -> int | Ref:
        """The cost of one value of type `parent` with these selections; `page` sizes the lists directly
        inside it (the edges of a connection)."""
        constant = 0
        terms: list[tuple[Size, int, int | None]] = []

        def add(size: Size, offset: int, value: int | Ref) -> None:
            nonlocal constant
            if isinstance(value, Ref):
                terms.append((size, offset, value.index))
            elif isinstance(size, int):
                constant += size * (offset + value)
            else:
                terms.append((size, offset + value, None))

        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                field = parent.fields[name]
                named = get_named_type(field.type)
                if not is_composite_type(named) or selection.selection_set is None:
                    continue
                own = self._own_size(field, selection)
                if is_list_type(get_nullable_type(field.type)):
                    size = own if own is not None else page if page is not None else MAX_PAGE_SIZE
                    add(size, 1, self._selections(named, selection.selection_set, None))
                else:
                    add(1, 1, self._selections(named, selection.selection_set, own))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                add(1, 0, self._selections(type_, selection.selection_set, page))
            elif isinstance(selection, FragmentSpreadNode):
                add(1, 0, self._fragment(selection.name.value, page))
        if not terms:
            return constant
        self.steps.append((constant, tuple(terms)))
        return Ref(len(self.steps) - 1)

    def _fragment(self, name: str, page: Size | None) -> int | Ref:
        key = (name, page)  # a variable size is keyed by its (per-field) function's identity
        if key not in self.fragment_costs:
            fragment = self.fragments[name]
            type_ = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_costs[key] = self._selections(type_, fragment.selection_set, page)
        return self.fragment_costs[key]

    def _own_size(self, field: Any, node: FieldNode) -> Size | None:
        """The length a field's own arguments give: `ids` for a list of IDs, `first`/`last` for a page."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        if "ids" in field.args:
            return self._length(given.get("ids"))
        if not any(name in field.args for name in _PAGE_ARGUMENTS):
            return None
        sources = []
        for name in _PAGE_ARGUMENTS:
            if name not in field.args:
                continue
            default = field.args[name].default_value
            default = None if default is Undefined else default
            value = given.get(name)
            if value is None:
                sources.append(default)
            elif isinstance(value, VariableNode):
                sources.append(self._variable(value.name.value, default))
            else:
                sources.append(int(value.value) if isinstance(value, IntValueNode) else None)
        if all(not callable(source) for source in sources):
            return _page_size(sources)
        readers = [source if callable(source) else _constant(source) for source in sources]
        return lambda variables: _page_size([read(variables) for read in readers])

    def _variable(self, name: str, absent: Any) -> Callable[[Variables], Any]:
        """The variable's value in a request: its own default when the request has none, and when it has
        no default either, what the argument takes when it is left out."""
        default_node = self.defaults.get(name)
        fallback = absent if default_node is None else value_from_ast_untyped(default_node)
        return lambda variables: variables.get(name, fallback)

    def _length(self, value: Any) -> Size:
        if value is None or isinstance(value, NullValueNode):
            return 0
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            read = self._variable(value.name.value, None)
            return lambda variables: _list_length(read(variables))
        return 1  # a single value is coerced to a list of one


def _constant(value: Any) -> Callable[[Variables], Any]:
    return lambda _variables: value


def _page_size(values: list[Any]) -> int:
    """The largest valid `first`/`last` given, else the default. Values that are not GraphQL Ints are left
    to variable coercion, which refuses them before anything runs."""
    largest = None
    for value in values:
        size = _graphql_int(value)
        if size is not None and (largest is None or size > largest):
            largest = size
    return DEFAULT_PAGE_SIZE if largest is None else max(largest, 0)


def _graphql_int(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value.__class__ is int and value in _INT_RANGE:
        return value
    return None


def _list_length(value: Any) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1
