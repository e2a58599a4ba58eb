"""Keyset pagination in SQL: orderings with a unique tie-breaker, cursor predicates and one page query.

A position is the tuple of an ordering's key values for one row. NULL keys sort after every value in
ascending order (and first in descending order: a descending ordering is exactly the reverse), which is
PostgreSQL's default and is spelled out explicitly so SQLite agrees. Past a cursor, a nullable key's
rows with values and its NULL rows are read as two index ranges and merged (see `Segment`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: its SQL expression and the Python type of its values (for cursors)."""

    expression: ColumnElement[Any]
    kind: type
    nullable: bool = False


class Segment(Enum):
    """Which rows a predicate is built for, by the nullable leading key: all of them, or only the rows
    where it has a value, or only those where it is NULL. Within one segment the predicate is a plain
    range of the (key, ID) index; over both, "v > x OR v IS NULL" is not, and the database then walks
    the index from its start, filtering out every row the client has already seen."""

    ALL = "all"
    VALUES = "values"
    NULLS = "nulls"


# A predicate while it is built: SQL, or a Python bool where the segment already decides it.
Condition = ColumnElement[bool] | bool


@dataclass(frozen=True)
class Ordering:
    """A total order: `keys` end with a unique key (the ID), so no two rows share a position.
    Only the leading key may be nullable."""

    name: str
    keys: tuple[SortKey, ...]
    descending: bool = False

    def __post_init__(self) -> None:
        if any(key.nullable for key in self.keys[1:]):
            raise ValueError("only the leading key of an ordering may be nullable")

    def order_by(self, *, reverse: bool = False) -> list[ColumnElement[Any]]:
        return _order_terms(self, [key.expression for key in self.keys], reverse=reverse)

    def segments(self) -> tuple[tuple[Segment, ColumnElement[bool]], ...]:
        """The segments a cursor query is split into, each with the condition that selects it."""
        leading = self.keys[0]
        if not leading.nullable:
            return ((Segment.ALL, true()),)
        return (
            (Segment.VALUES, leading.expression.is_not(None)),
            (Segment.NULLS, leading.expression.is_(None)),
        )

    def after(self, position: Sequence[Any], *, reverse: bool = False) -> ColumnElement[bool]:
        """Rows strictly after `position` in this order (strictly before it with `reverse`)."""
        return _sql(self.after_in(position, reverse=reverse, segment=Segment.ALL))

    def at_or_after(self, position: Sequence[Any], *, reverse: bool = False) -> ColumnElement[bool]:
        return _sql(self.at_or_after_in(position, reverse=reverse, segment=Segment.ALL))

    def after_in(self, position: Sequence[Any], *, reverse: bool, segment: Segment) -> Condition:
        descending = self.descending != reverse
        alternatives = []
        for index, (key, value) in enumerate(zip(self.keys, position, strict=True)):
            equal_before = [_equal(k, v, segment) for k, v in zip(self.keys[:index], position[:index], strict=True)]
            alternatives.append(_all(*equal_before, _beyond(key, value, descending, segment)))
        # A bound on the leading key alone lets the database range-scan its index instead of filtering.
        return _all(_not_before(self.keys[0], position[0], descending, segment), _any(*alternatives))

    def at_or_after_in(self, position: Sequence[Any], *, reverse: bool, segment: Segment) -> Condition:
        return _any(
            self.after_in(position, reverse=reverse, segment=segment),
            _all(*(_equal(key, value, segment) for key, value in zip(self.keys, position, strict=True))),
        )


def _order_terms(ordering: Ordering, expressions: Sequence[Any], *, reverse: bool) -> list[ColumnElement[Any]]:
    descending = ordering.descending != reverse
    terms = []
    for key, expression in zip(ordering.keys, expressions, strict=True):
        term = expression.desc() if descending else expression.asc()
        if key.nullable:
            term = term.nulls_first() if descending else term.nulls_last()
        terms.append(term)
    return terms


def _all(*terms: Condition) -> Condition:
    if any(term is False for term in terms):
        return False
    rest = [term for term in terms if term is not True]
    return True if not rest else rest[0] if len(rest) == 1 else and_(*rest)


def _any(*terms: Condition) -> Condition:
    if any(term is True for term in terms):
        return True
    rest = [term for term in terms if term is not False]
    return False if not rest else rest[0] if len(rest) == 1 else or_(*rest)


def _sql(condition: Condition) -> ColumnElement[bool]:
    if isinstance(condition, bool):
        return true() if condition else false()
    return condition


def _equal(key: SortKey, value: Any, segment: Segment) -> Condition:
    if key.nullable and segment is Segment.VALUES:
        return False if value is None else key.expression == value
    if key.nullable and segment is Segment.NULLS:
        return value is None
    return key.expression.is_(None) if value is None else key.expression == value


def _beyond(key: SortKey, value: Any, descending: bool, segment: Segment) -> Condition:
    """This key's value lies strictly beyond `value` in the walking direction (NULL is the largest)."""
    if key.nullable and segment is Segment.NULLS:
        return value is not None and not descending
    if value is None:
        if descending:
            return True if segment is Segment.VALUES else key.expression.is_not(None)
        return False
    if descending:
        return key.expression < value
    if key.nullable and segment is Segment.ALL:
        return or_(key.expression > value, key.expression.is_(None))
    return key.expression > value


def _not_before(key: SortKey, value: Any, descending: bool, segment: Segment) -> Condition:
    if key.nullable and segment is Segment.NULLS:
        return value is None or not descending
    if value is None:
        if descending:
            return True
        return False if segment is Segment.VALUES else key.expression.is_(None)
    if descending:
        return key.expression <= value
    if key.nullable and segment is Segment.ALL:
        return or_(key.expression >= value, key.expression.is_(None))
    return key.expression >= value


@dataclass(frozen=True)
class PageRequest:
    """A validated slice: `limit` rows after `after` (or, `backward`, the last ones before `before`)."""

    limit: int
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None
    backward: bool = False

    def window(self, ordering: Ordering, segment: Segment = Segment.ALL) -> Condition:
        conditions: list[Condition] = []
        if self.after is not None:
            conditions.append(ordering.after_in(self.after, reverse=False, segment=segment))
        if self.before is not None:
            conditions.append(ordering.after_in(self.before, reverse=True, segment=segment))
        return _all(*conditions)


@dataclass
class Page:
    """(row, position) pairs of one page in order, and whether more rows lie beyond its far end."""

    rows: list[tuple[Any, tuple[Any, ...]]]
    more_beyond: bool


def _parts(statement: Select, ordering: Ordering, window: Callable[[Segment], Condition]) -> list[Select]:
    """`statement` restricted to each segment's window; segments the window excludes are left out."""
    parts = []
    for segment, selects in ordering.segments():
        condition = window(segment)
        if condition is not False:
            parts.append(statement.where(selects, _sql(condition)))
    return parts


def page_statement(statement: Select, *, ordering: Ordering, request: PageRequest) -> Select:
    """The filtered `statement` within the request's window, limit + 1 rows, each with
    its key values beside it. With a cursor on a nullable key, each segment is fetched by its own
    index range and the two short results are merged (UNION ALL): a page costs the same at any depth.
    """
    reverse = request.backward
    if request.after is None and request.before is None:
        parts = [statement]  # no cursor: one walk of the index from its start
    else:
        parts = _parts(statement, ordering, lambda segment: request.window(ordering, segment))
    keys = [key.expression.label(f"page_key_{index}") for index, key in enumerate(ordering.keys)]
    pages = [
        part.add_columns(*keys).order_by(*ordering.order_by(reverse=reverse)).limit(request.limit + 1)
        for part in parts
    ]
    if len(pages) == 1:
        return pages[0]
    merged = union_all(*(select(page.subquery()) for page in pages)).subquery()
    merged_keys = [merged.c[key.name] for key in keys]
    return (
        select(*(merged.c[column.key] for column in statement.selected_columns), *merged_keys)
        .order_by(*_order_terms(ordering, merged_keys, reverse=reverse))
        .limit(request.limit + 1)
    )


async def fetch_page(
    db: AsyncSession, statement: Select, *, ordering: Ordering, request: PageRequest, make: Callable[[Any], Any]
) -> Page:
    """One statement (`page_statement`) for a page and whether more rows lie beyond it; `make` builds
    a page's row from the leading columns of a result row (the statement's own columns).

    The key values are selected beside each row, so cursors carry exactly what the database compares
    (`lower()` differs between Python, PostgreSQL and SQLite for non-ASCII text). Run through Core:
    the rows are read-only records, the ORM's loading machinery would only add cost.
    """
    page = page_statement(statement, ordering=ordering, request=request)
    width = len(ordering.keys)
    connection = await db.connection()
    rows = [(make(row), tuple(row[-width:])) for row in await connection.execute(page)]
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if request.backward:
        rows.reverse()
    return Page(rows, more)


async def exists_beyond(
    db: AsyncSession, statement: Select, *, ordering: Ordering, position: Sequence[Any], reverse: bool
) -> bool:
    """Whether the filtered set has a row at or beyond a cursor (after it, or before it with `reverse`).

    The cursor's own row counts: a client paging from it has not seen it in this direction yet.
    """
    parts = _parts(
        statement, ordering,
        lambda segment: ordering.at_or_after_in(position, reverse=reverse, segment=segment),
    )
    if not parts:
        return False
    probes = [part.limit(1).exists() for part in parts]
    return (await db.execute(select(or_(*probes)))).scalar_one()


async def count(db: AsyncSession, statement: Select) -> int:
    counting = statement.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    return (await db.execute(counting)).scalar_one()
