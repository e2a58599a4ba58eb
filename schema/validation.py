"""Limits on what a document may ask for (depth, aliases, tokens, credential fields standing alone) and
its cost, checked once per distinct document: parsed and validated documents and their cost formulas
are cached by their text, with rules built once at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import MaxIntrospectionDepthRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from schema.cost import DEFAULT_MAX_COST, Cost, cost_of, operation_costs, too_complex
from schema.execution.strawberry_schema import core_schema

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_REQUEST = "BAD_REQUEST"
CHECKS_CREDENTIAL = "usergraph.checks_credential"  # the Strawberry field metadata key credential_mutation sets
# Texts longer than this are parsed every time rather than kept: 2,000 tokens can still hold a
# megabyte of string literals, and the cache must not become a way to pin memory.
MAX_CACHED_TEXT = 20_000
CACHE_SIZE = 512


def validation_failed(message: str, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": VALIDATION_FAILED})


def _ignored_in_depth(node: FieldNode) -> bool:
    # `ofType` only unwraps list/non-null wrappers (no fan-out) and every introspection client nests it
    # 7-9 deep; fan-out in introspection is bounded by MaxIntrospectionDepthRule instead.
    return node.name.value == "ofType"


class DepthLimitRule(ValidationRule):
    """Refuse operations whose fields nest deeper than MAX_DEPTH (`{ viewer { id } }` has depth 2)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragment_depths: dict[str, int] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
        try:
            depth = self._depth(node.selection_set, set())
        except RecursionError:
            depth = MAX_DEPTH + 1
        if depth > MAX_DEPTH:
            name = f"'{node.name.value}' " if node.name else ""
            self.report_error(validation_failed(f"Operation {name}is nested deeper than {MAX_DEPTH} levels.", node))

    def _depth(self, selection_set: SelectionSetNode | None, entered: set[str]) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                below = self._depth(selection.selection_set, entered)
                deepest = max(deepest, below if _ignored_in_depth(selection) else 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self._depth(selection.selection_set, entered))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment_depth(selection.name.value, entered))
            if deepest > MAX_DEPTH:
                break  # no need to look further
        return deepest

    def _fragment_depth(self, name: str, entered: set[str]) -> int:
        if name in self._fragment_depths:
            return self._fragment_depths[name]
        fragment = self.context.get_fragment(name)
        if fragment is None or name in entered:  # unknown or cyclic: other rules report it
            return 0
        entered.add(name)
        depth = self._depth(fragment.selection_set, entered)
        entered.discard(name)
        self._fragment_depths[name] = depth
        return depth


class AliasLimitRule(ValidationRule):
    """Refuse operations using more than MAX_ALIASES aliases, counting each fragment they use once."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
        count = _count_aliases(node)
        for fragment in self.context.get_recursively_referenced_fragments(node):
            count += _count_aliases(fragment)
        if count > MAX_ALIASES:
            name = f"'{node.name.value}' " if node.name else ""
            self.report_error(
                validation_failed(f"Operation {name}uses {count} aliases; at most {MAX_ALIASES} are allowed.", node)
            )


def _count_aliases(node: OperationDefinitionNode | FragmentDefinitionNode) -> int:
    count = 0
    stack = [node.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.alias is not None:
                count += 1
            if getattr(selection, "selection_set", None) is not None:
                stack.append(selection.selection_set)
    return count


def credential_mutation(resolver: Any = None, **kwargs: Any) -> Any:
    """`strawberry.mutation` for a field that checks a password, a second-factor code or a link token:
    `CredentialFieldAloneRule` refuses any operation in which it has a sibling root field."""
    return strawberry.mutation(resolver, metadata={CHECKS_CREDENTIAL: True}, **kwargs)


def checks_credential(field: GraphQLField) -> bool:
    """Whether a graphql-core field is a Strawberry field made by `credential_mutation`."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(definition, "metadata", None) or {}
    return bool(metadata.get(CHECKS_CREDENTIAL))


class CredentialFieldAloneRule(ValidationRule):
    """Refuse operations where a credential-checking root field has a sibling: aliases would otherwise
    multiply password hashes and guesses, and a failing sibling would roll back what the check wrote.

    Root fields are counted by response key, through fragments and inline fragments: fields sharing a key
    are merged into one execution. `__typename` (aliased or not) runs no resolver and is allowed beside.
    Directives are ignored: `@skip(if: $x)` does not make a sibling acceptable.
    """

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
        root = self.context.schema.get_root_type(node.operation)
        if root is None:
            return
        keys: set[str] = set()
        credential: list[str] = []
        for field_node in self._root_fields(node.selection_set, set()):
            name = field_node.name.value
            if name == "__typename":
                continue
            keys.add(field_node.alias.value if field_node.alias else name)
            field = root.fields.get(name)
            if field is not None and checks_credential(field) and name not in credential:
                credential.append(name)
        if credential and len(keys) > 1:
            self.report_error(
                GraphQLError(
                    f"'{credential[0]}' checks credentials and must be the only field of its operation "
                    "(besides __typename); send other fields in another request.",
                    node,
                    extensions={"code": BAD_REQUEST},
                )
            )

    def _root_fields(self, selection_set: SelectionSetNode, entered: set[str]) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._root_fields(selection.selection_set, entered)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in entered:
                fragment = self.context.get_fragment(selection.name.value)
                if fragment is not None:  # unknown or cyclic fragments: other rules report them
                    entered.add(selection.name.value)
                    yield from self._root_fields(fragment.selection_set, entered)


@dataclass
class DocumentChecks:
    """Parsing and validation for one schema, with its rules fixed when the schema is built.

    Both caches are keyed by the query text: Python caches a string's hash, whereas hashing a parsed
    document walks the whole tree on every lookup.
    """

    introspection: bool = True
    cached: bool = True  # off only to measure what the caches save (GRAPHQL_CACHES=false)
    max_cost: int = DEFAULT_MAX_COST
    rules: tuple[type[ASTValidationRule], ...] = ()

    def __post_init__(self) -> None:
        # Keyed by the text (and the schema), never by a document: the document comes from the parse
        # cache inside the computation. `cache_info()` tells hits and misses.
        self.parsed = lru_cache(maxsize=CACHE_SIZE)(self._parse)
        self.validated = lru_cache(maxsize=CACHE_SIZE)(self._validate)
        self.costs = lru_cache(maxsize=CACHE_SIZE)(self._costs)
        rules = [
            *specified_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            MaxIntrospectionDepthRule,
            DepthLimitRule,
            AliasLimitRule,
            CredentialFieldAloneRule,
        ]
        if not self.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)

    @property
    def hide_suggestions(self) -> bool:
        # "Did you mean …" reveals field and type names just as introspection would.
        return not self.introspection

    def _cacheable(self, query: str) -> bool:
        return self.cached and len(query) <= MAX_CACHED_TEXT

    def parse(self, query: str) -> DocumentNode:
        return self.parsed(query) if self._cacheable(query) else self._parse(query)

    def validate(self, schema: GraphQLSchema, query: str, document: DocumentNode) -> list[GraphQLError]:
        if self._cacheable(query):
            return list(self.validated(schema, query))
        return list(self._validate(schema, query, document))

    def cost_refusal(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None, variables: Any
    ) -> GraphQLError | None:
        """The refusal of a validated document's operation whose cost, with these variables, is over
        budget. Runs on every request: the document's cost formulas are cached like its validation."""
        costs = self.costs(schema, query) if self._cacheable(query) else operation_costs(schema, document)
        cost = costs.get(operation_name)
        if cost is None:  # no such operation: graphql-core refuses the request
            return None
        value = cost_of(cost, variables if isinstance(variables, dict) else None)
        return too_complex(value, self.max_cost) if value > self.max_cost else None

    def _validate(
        self, schema: GraphQLSchema, query: str, document: DocumentNode | None = None
    ) -> tuple[GraphQLError, ...]:
        document = document if document is not None else self.parsed(query)
        errors = validate(schema, document, self.rules, hide_suggestions=self.hide_suggestions)
        for error in errors:
            if error.extensions is None:
                error.extensions = {}
            error.extensions.setdefault("code", VALIDATION_FAILED)
        return tuple(errors)

    def _costs(self, schema: GraphQLSchema, query: str) -> dict[str | None, Cost]:
        return operation_costs(schema, self.parsed(query))

    @staticmethod
    def _parse(query: str) -> DocumentNode:
        try:
            return parse(query, max_tokens=MAX_TOKENS)
        except GraphQLSyntaxError as error:
            # Limits are refusals of a well-formed request, not syntax errors.
            if error.message.endswith("Parsing aborted."):
                reason = error.message.removeprefix("Syntax Error: ").removesuffix(" Parsing aborted.")
                raise validation_failed(reason) from None
            raise

    def extension(self) -> Callable[[], SchemaExtension]:
        """A per-request extension factory that uses these (shared) checks."""
        return partial(CheckedDocument, self)


class CheckedDocument(SchemaExtension):
    """Replaces Strawberry's parse and validation steps with the cached, limited ones above.

    A parse error raised here reaches other extensions' `on_operation` at their `yield` (as with
    Strawberry's ParserCache); they must use try/finally.
    """

    def __init__(self, checks: DocumentChecks) -> None:
        self.checks = checks

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            context.graphql_document = self.checks.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.query:
            schema, query, document = core_schema(context.schema), context.query, context.graphql_document
            errors = self.checks.validate(schema, query, document)
            if not errors:
                refusal = self.checks.cost_refusal(
                    schema, query, document, context.operation_name, context.variables
                )
                errors = [refusal] if refusal else errors
            context.pre_execution_errors = errors
        yield
