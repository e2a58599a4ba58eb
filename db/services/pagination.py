"""Keyset pagination in SQL: orderings with a unique tie-breaker, cursor predicates and one page query.

A position is the tuple of an ordering's key values for one row. NULL keys sort after every value in
ascending order (and first in descending order: a descending ordering is exactly the reverse), which is
PostgreSQL's default and is spelled out explicitly so SQLite agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: its SQL expression and the Python type of its values (for cursors)."""

    expression: ColumnElement[Any]
    kind: type
    nullable: bool = False


@dataclass(frozen=True)
class Ordering:
    """A total order: `keys` end with a unique key (the ID), so no two rows share a position."""

    name: str
    keys: tuple[SortKey, ...]
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> list[ColumnElement[Any]]:
        descending = self.descending != reverse
        terms = []
        for key in self.keys:
            term = key.expression.desc() if descending else key.expression.asc()
            if key.nullable:
                term = term.nulls_first() if descending else term.nulls_last()
            terms.append(term)
        return terms

    def after(self, position: Sequence[Any], *, reverse: bool = False) -> ColumnElement[bool]:
        """Rows strictly after `position` in this order (strictly before it with `reverse`)."""
        descending = self.descending != reverse
        alternatives = []
        for index, (key, value) in enumerate(zip(self.keys, position, strict=True)):
            equal_before = [_equal(k, v) for k, v in zip(self.keys[:index], position[:index], strict=True)]
            alternatives.append(and_(*equal_before, _beyond(key, value, descending)))
        predicate = or_(*alternatives)
        # A bound on the leading key alone lets the database range-scan its index instead of filtering.
        leading = _not_before(self.keys[0], position[0], descending)
        return and_(leading, predicate) if leading is not None else predicate

    def at_or_after(self, position: Sequence[Any], *, reverse: bool = False) -> ColumnElement[bool]:
        return or_(
            self.after(position, reverse=reverse),
            and_(*(_equal(key, value) for key, value in zip(self.keys, position, strict=True))),
        )


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.expression.is_(None) if value is None else key.expression == value


def _beyond(key: SortKey, value: Any, descending: bool) -> ColumnElement[bool]:
    """This key's value lies strictly beyond `value` in the walking direction (NULL is the largest)."""
    if value is None:
        return key.expression.is_not(None) if descending else false()
    if descending:
        return key.expression < value
    return or_(key.expression > value, key.expression.is_(None)) if key.nullable else key.expression > value


def _not_before(key: SortKey, value: Any, descending: bool) -> ColumnElement[bool] | None:
    if value is None:
        return None if descending else key.expression.is_(None)
    if descending:
        return key.expression <= value
    return or_(key.expression >= value, key.expression.is_(None)) if key.nullable else key.expression >= value


@dataclass(frozen=True)
class PageRequest:
    """A validated slice: `limit` rows after `after` (or, `backward`, the last ones before `before`)."""

    limit: int
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None
    backward: bool = False

    def window(self, ordering: Ordering) -> ColumnElement[bool]:
        conditions = []
        if self.after is not None:
            conditions.append(ordering.after(self.after))
        if self.before is not None:
            conditions.append(ordering.after(self.before, reverse=True))
        return and_(*conditions) if conditions else true()


@dataclass
class Page:
    """(row, position) pairs of one page in order, and whether more rows lie beyond its far end."""

    rows: list[tuple[Any, tuple[Any, ...]]]
    more_beyond: bool


async def fetch_page(session: AsyncSession, statement: Select, *, ordering: Ordering, request: PageRequest) -> Page:
    """One statement: the filtered single-entity `statement` within the request's window, limit + 1 rows.

    The key values are selected beside each row, so cursors carry exactly what the database compares
    (`lower()` differs between Python, PostgreSQL and SQLite for non-ASCII text).
    """
    statement = (
        statement.add_columns(*(key.expression for key in ordering.keys))
        .where(request.window(ordering))
        .order_by(*ordering.order_by(reverse=request.backward))
        .limit(request.limit + 1)
    )
    rows = [(row[0], tuple(row[1:])) for row in await session.execute(statement)]
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if request.backward:
        rows.reverse()
    return Page(rows, more)


async def exists_beyond(
    session: AsyncSession, statement: Select, *, ordering: Ordering, position: Sequence[Any], reverse: bool
) -> bool:
    """Whether the filtered set has a row at or beyond a cursor (after it, or before it with `reverse`).

    The cursor's own row counts: a client paging from it has not seen it in this direction yet.
    """
    probe = statement.where(ordering.at_or_after(position, reverse=reverse)).limit(1)
    return (await session.execute(select(probe.exists()))).scalar_one()


async def count(session: AsyncSession, statement: Select) -> int:
    counting = statement.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    return (await session.execute(counting)).scalar_one()
