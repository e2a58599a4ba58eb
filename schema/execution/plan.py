"""Execution plans for queries: built once per cached document, then walked for every request instead of
graphql-core's per-field machinery (collecting sub-fields, a ResolveInfo for every field, type dispatch in
`complete_value`, a coroutine and a gather for every object holding an async field).

Exactness comes from refusing, not from imitating: a plan serves only the path on which the standard
executor produces no error. A resolver exception, a null for a non-null field, a value failing its type
check or a leaf that does not serialize makes the plan give up, and the operation runs again on the
standard executor, which answers with exactly its usual data and errors. Documents with what a plan does
not model (directives, abstract types, introspection, mutations) never get a plan. Only queries get one,
because a query may safely run twice: resolvers started before giving up are awaited first, and loaders
keep what they read.
"""

from __future__ import annotations

import asyncio
import dis
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from graphql import (
    DirectiveNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    Undefined,
    Visitor,
    is_leaf_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, is_iterable

from schema.execution.strawberry_fields import ResolverCall, plain_reader

if TYPE_CHECKING:
    from graphql.execution.executor import Executor

# Path(prev, key, typename) without NamedTuple's Python-level __new__ (a frame per path).
_new_path = tuple.__new__
# How many documents' plans are kept per schema (the parser cache keeps documents alive by the same measure).
_MAX_PLANS = 512


class GiveUp(Exception):  # noqa: N818 - not an error: the standard executor takes over
    """The plan met something only the standard executor answers exactly."""


# Completes a field's value: (run, field, the field's path, this value's path, value) -> JSON value.
Complete = Callable[["PlanRun", "FieldPlan", Path | None, Path | None, Any], Any]


class FieldPlan:
    """One response key of a selection set: how to get its value and how to complete it."""

    __slots__ = ("call", "complete", "details", "field_def", "key", "needs_path", "nodes", "parent_name",
                 "parent_type", "read", "resolve")

    def __init__(self, key: str, parent_type: GraphQLObjectType, field_def: GraphQLField, details: FieldDetailsList,
                 read: Callable[[Any], Any] | None, call: Any, complete: Complete, needs_path: bool) -> None:
        self.key = key
        self.parent_type = parent_type
        self.parent_name = parent_type.name
        self.field_def = field_def
        self.details = details
        self.nodes = [detail.node for detail in details]
        # Read straight off the parent (an attribute, a `self`-only method), or call the field's resolver.
        self.read = read
        self.resolve = field_def.resolve
        self.call = call  # a ResolverCall when the resolver can be called without Strawberry's wrapper
        self.complete = complete
        self.needs_path = needs_path  # a ResolveInfo may be built for this value or below it


@dataclass
class PlanCache:
    """Plans of one schema, by operation; counters for tests and benchmarks."""

    plans: dict[int, tuple[OperationDefinitionNode, list[FieldPlan] | None]] = field(default_factory=dict)
    served: int = 0  # operations answered by a plan
    gave_up: int = 0  # operations a plan started and the standard executor finished
    built: int = 0

    def plan_for(self, executor: Executor, root_type: GraphQLObjectType, grouped: GroupedFieldSet):
        operation = executor.operation
        entry = self.plans.get(id(operation))
        # The entry keeps its operation alive, so the id cannot be reused while it is cached.
        if entry is not None and entry[0] is operation:
            return entry[1]
        plan = _Compiler(executor).plan(root_type, grouped)
        if len(self.plans) >= _MAX_PLANS:
            self.plans.clear()
        self.plans[id(operation)] = (operation, plan)
        self.built += 1
        return plan


_caches: WeakKeyDictionary[GraphQLSchema, PlanCache] = WeakKeyDictionary()


def plan_cache(schema: GraphQLSchema) -> PlanCache:
    cache = _caches.get(schema)
    if cache is None:
        cache = _caches[schema] = PlanCache()
    return cache


class _HasDirective(Visitor):
    found = False

    def enter_directive(self, _node: DirectiveNode, *_args: Any) -> Any:
        self.found = True
        return self.BREAK


class _Compiler:
    def __init__(self, executor: Executor) -> None:
        self.strawberry_schema = getattr(executor.schema, "_strawberry_schema", None)
        self.executor = executor
        self.schema: GraphQLSchema = executor.schema

    def plan(self, root_type: GraphQLObjectType, grouped: GroupedFieldSet) -> list[FieldPlan] | None:
        # @skip/@include make the selection depend on variables; plans are per document.
        for node in (self.executor.operation, *self.executor.fragment_definitions.values()):
            visitor = _HasDirective()
            visit(node, visitor)
            if visitor.found:
                return None
        return self.fields(root_type, grouped)

    def fields(self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet) -> list[FieldPlan] | None:
        plans = []
        for key, details in grouped.items():
            if any(detail.defer_usage is not None or detail.fragment_variable_values is not None for detail in details):
                return None
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                field_def, read, call = self.schema.get_field(parent_type, name), _constant(parent_type.name), None
                complete = self.completer(GraphQLNonNull(GraphQLString), details)
            elif name.startswith("__"):
                return None  # introspection
            else:
                field_def = self.schema.get_field(parent_type, name)
                if field_def is None or field_def.subscribe is not None:
                    return None
                read = None if node.arguments else plain_reader(field_def)
                call = None if read is not None or self.strawberry_schema is None else ResolverCall.of(
                    field_def, self.strawberry_schema
                )
                complete = self.completer(field_def.type, details)
            if field_def is None or complete is None:
                return None
            plans.append(FieldPlan(key, parent_type, field_def, details, read, call, complete, complete.needs_paths))
        return plans

    def completer(self, type_: Any, details: FieldDetailsList) -> Complete | None:
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self.completer(type_.of_type, details))
        if isinstance(type_, GraphQLList):
            return _list(self.completer(type_.of_type, details))
        if is_leaf_type(type_):
            return _leaf(type_.coerce_output_value)
        if is_object_type(type_):
            executor = self.executor
            collected = collect_subfields(
                self.schema, executor.fragments, executor.variable_values, executor.operation, type_, details,
                executor.hide_suggestions,
            )
            if collected.new_defer_usages:
                return None
            sub = self.fields(type_, collected.grouped_field_set)
            return None if sub is None else _object(type_, sub)
        return None  # interfaces and unions: the standard executor resolves their runtime type


def _reads_info(is_type_of: Callable[[Any, Any], Any]) -> bool:
    """Whether `is_type_of(value, info)` may look at `info`. False only when its code provably never reads
    that parameter: then a plan passes None instead of building a ResolveInfo for every object."""
    function = getattr(is_type_of, "__func__", is_type_of)
    code = getattr(function, "__code__", None)
    if code is None or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return True
    bound = 1 if getattr(is_type_of, "__self__", None) is not None else 0
    parameters = code.co_varnames[: code.co_argcount]
    if len(parameters) != bound + 2:
        return True
    name = parameters[-1]
    if name in code.co_cellvars or {"locals", "vars"} & set(code.co_names):
        return True
    return any(
        "FAST" in instruction.opname
        and (instruction.argval == name or (isinstance(instruction.argval, tuple) and name in instruction.argval))
        for instruction in dis.get_instructions(code)
    )


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _source: value


def _with_paths(complete: Complete, needs_paths: bool) -> Complete:
    # Paths exist for ResolveInfos; a value below which none is ever built gets None instead of a path.
    complete.needs_paths = needs_paths  # type: ignore[attr-defined]
    return complete


def _non_null(inner: Complete | None) -> Complete | None:
    if inner is None:
        return None

    def complete(run, fp, field_path, path, value):
        completed = inner(run, fp, field_path, path, value)
        if completed is None:
            raise GiveUp
        return completed

    return _with_paths(complete, inner.needs_paths)


def _list(item: Complete | None) -> Complete | None:
    if item is None:
        return None
    needs_paths = item.needs_paths

    def complete(run, fp, field_path, path, value):
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception) or not is_iterable(value):
            raise GiveUp
        is_awaitable = run.is_awaitable
        completed = []
        for index, element in enumerate(value):
            if is_awaitable(element):
                raise GiveUp
            item_path = _new_path(Path, (path, index, None)) if needs_paths else None
            completed.append(item(run, fp, field_path, item_path, element))
        return completed

    return _with_paths(complete, needs_paths)


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete(run, fp, field_path, path, value):
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp
        return coerced

    return _with_paths(complete, False)


def _object(type_: GraphQLObjectType, sub: list[FieldPlan]) -> Complete:
    is_type_of = type_.is_type_of
    reads_info = is_type_of is not None and _reads_info(is_type_of)

    def complete(run, fp, field_path, path, value):
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp
        if is_type_of is not None:
            matches = is_type_of(value, run.info(fp, field_path) if reads_info else None)
            if not matches or run.is_awaitable(matches):
                raise GiveUp
        return run.fields(sub, value, path)

    return _with_paths(complete, reads_info or any(field.read is None or field.needs_path for field in sub))


class PlanRun:
    """One operation walking a plan. Async resolvers are collected level by level and awaited together,
    so loaders see a whole level's keys in one batch."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.is_awaitable = executor.is_awaitable
        self.pending: list[tuple[dict[str, Any], FieldPlan, Path, Any]] = []
        self._arguments: dict[FieldPlan, dict[str, Any]] = {}
        self._converted: dict[FieldPlan, dict[str, Any] | None] = {}

    def info(self, fp: FieldPlan, field_path: Path | None) -> Any:
        return self.executor.build_resolve_info(fp.field_def, fp.nodes, fp.parent_type, field_path)

    def arguments(self, fp: FieldPlan) -> dict[str, Any]:
        # The same for every parent within one operation: computed once.
        arguments = self._arguments.get(fp)
        if arguments is None:
            detail = fp.details[0]
            executor = self.executor
            arguments = self._arguments[fp] = (
                get_argument_values(
                    fp.field_def, detail.node, executor.variable_values, detail.fragment_variable_values,
                    executor.hide_suggestions,
                )
                if fp.field_def.args or detail.node.arguments
                else {}
            )
        return arguments

    def fields(self, plans: list[FieldPlan], source: Any, path: Path | None) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for fp in plans:
            read = fp.read
            if read is not None:
                field_path = _new_path(Path, (path, fp.key, fp.parent_name)) if fp.needs_path else None
                results[fp.key] = fp.complete(self, fp, field_path, field_path, read(source))
                continue
            field_path = _new_path(Path, (path, fp.key, fp.parent_name))
            info = self.info(fp, field_path)
            call = fp.call
            if call is None:
                value = fp.resolve(source, info, **self.arguments(fp))
            else:
                info = call.info(info)
                arguments = self._converted.get(fp)
                if arguments is None:
                    arguments, shared = call.convert(self.arguments(fp), info)
                    if shared:
                        self._converted[fp] = arguments
                value = call(source, info, arguments)
            if self.is_awaitable(value):
                results[fp.key] = None  # keeps the key's place in the response
                self.pending.append((results, fp, field_path, value))
            else:
                results[fp.key] = fp.complete(self, fp, field_path, field_path, value)
        return results

    async def finish(self, data: dict[str, Any]) -> dict[str, Any]:
        while self.pending:
            level, self.pending = self.pending, []
            values = await _settled([awaitable for *_, awaitable in level])
            for (results, fp, field_path, _), value in zip(level, values, strict=True):
                if isinstance(value, BaseException):
                    raise GiveUp
                results[fp.key] = fp.complete(self, fp, field_path, field_path, value)
        return data

    async def settle(self) -> None:
        """Let every resolver already started finish (or fail) before the operation runs again."""
        while self.pending:
            level, self.pending = self.pending, []
            await _settled([awaitable for *_, awaitable in level])


async def _settled(awaitables: list[Any]) -> list[Any]:
    """Each awaitable's value or exception, run concurrently; a lone one is awaited in place, as
    graphql-core does, without a task of its own."""
    if len(awaitables) == 1:
        try:
            return [await awaitables[0]]
        except Exception as error:  # noqa: BLE001 - returned like gather's return_exceptions
            return [error]
    return await asyncio.gather(*awaitables, return_exceptions=True)


def execute_plan(
    executor: Executor, cache: PlanCache, plan: list[FieldPlan], root_value: Any, standard: Callable[[], Any]
) -> Any:
    """The root fields' data by the plan, or by `standard()` (the standard executor) if the plan gives up;
    synchronous when nothing had to be awaited, like graphql-core."""
    run = PlanRun(executor)
    try:
        data = run.fields(plan, root_value, None)
    except Exception:  # noqa: BLE001 - whatever it was, the standard executor reports it
        return _again(run, cache, standard)
    if not run.pending:
        cache.served += 1
        return data
    return _finish(run, cache, data, standard)


async def _finish(run: PlanRun, cache: PlanCache, data: dict[str, Any], standard: Callable[[], Any]) -> Any:
    try:
        data = await run.finish(data)
    except Exception:  # noqa: BLE001
        return await _awaited(_again(run, cache, standard), run)
    cache.served += 1
    return data


def _again(run: PlanRun, cache: PlanCache, standard: Callable[[], Any]) -> Any:
    cache.gave_up += 1
    if not run.pending:
        return standard()

    async def settled_then_standard() -> Any:
        await run.settle()
        return await _awaited(standard(), run)

    return settled_then_standard()


async def _awaited(value: Any, run: PlanRun) -> Any:
    return await value if run.is_awaitable(value) else value
