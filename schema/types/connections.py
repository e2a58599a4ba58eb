"""Relay connections of users and sessions; `totalCount` and the near-end page flags are computed only
when the client asks for them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from db.models import SessionStatus
from db.queries import SESSION_ORDERING, session_position
from db.records import make_user_record
from db.services.pagination import Ordering, PageRequest, count, exists_beyond, fetch_page
from schema.pagination import (
    DEFAULT_PAGE_SIZE,
    BoolOrCheck,
    check_page_size,
    decode_cursor,
    encode_cursor,
    page_flags,
)

if TYPE_CHECKING:
    from schema.context import Context
    from schema.loaders import Loaders
    from schema.types.session import Session
    from schema.types.user import User

async def _resolve(flag: BoolOrCheck) -> bool:
    return flag if isinstance(flag, bool) else await flag()


@strawberry.type
class PageInfo:
    ordering: strawberry.Private[Ordering]
    ends: strawberry.Private[list[tuple[Any, ...]]]  # the first and last rows' positions, if any
    next_flag: strawberry.Private[BoolOrCheck]
    previous_flag: strawberry.Private[BoolOrCheck]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return encode_cursor(self.ordering, self.ends[0]) if self.ends else None

    @strawberry.field
    def end_cursor(self) -> str | None:
        return encode_cursor(self.ordering, self.ends[-1]) if self.ends else None

    @strawberry.field
    async def has_next_page(self) -> bool:
        return await _resolve(self.next_flag)

    @strawberry.field
    async def has_previous_page(self) -> bool:
        return await _resolve(self.previous_flag)


# Edges encode their cursor only when a client asks for it: most pages are read without them.
@strawberry.type
class UserEdge:
    node: Annotated[User, strawberry.lazy("schema.types.user")]
    ordering: strawberry.Private[Ordering]
    position: strawberry.Private[tuple[Any, ...]]

    @strawberry.field
    def cursor(self) -> str:
        return encode_cursor(self.ordering, self.position)


@strawberry.type
class SessionEdge:
    node: Annotated[Session, strawberry.lazy("schema.types.session")]

    @strawberry.field
    def cursor(self) -> str:
        return encode_cursor(SESSION_ORDERING, session_position(self.node))


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    count_rows: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_rows()


@strawberry.type
class SessionConnection:
    edges: list[SessionEdge]
    page_info: PageInfo
    count_rows: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_rows()


def page_info(
    ordering: Ordering, positions: list[tuple[Any, ...]], next_flag: BoolOrCheck, previous_flag: BoolOrCheck
) -> PageInfo:
    return PageInfo(ordering=ordering, ends=positions, next_flag=next_flag, previous_flag=previous_flag)


async def session_connection(
    loaders: Loaders, user_id: uuid.UUID, *, first: int | None, after: str | None, status: SessionStatus | None
) -> SessionConnection:
    """One page of a user's sessions through the loaders, so a page of users costs one statement."""
    check_page_size(first, "first")
    limit = DEFAULT_PAGE_SIZE if first is None else first
    position = decode_cursor(SESSION_ORDERING, after, argument="after") if after is not None else None
    rows = await loaders.session_page.load((user_id, limit + 1, position, status))
    page = rows[:limit]
    edges = [SessionEdge(node=row) for row in page]
    ends = [session_position(page[0]), session_position(page[-1])] if page else []

    async def newer_exist() -> bool:
        return await loaders.has_sessions_at_or_before.load((user_id, position, status))

    async def count_rows() -> int:
        return await loaders.session_count.load((user_id, status))

    return SessionConnection(
        edges=edges,
        page_info=page_info(
            SESSION_ORDERING, ends, len(rows) > limit, newer_exist if position is not None else False
        ),
        count_rows=count_rows,
    )


async def user_connection(
    context: Context, statement: Select, *, ordering: Ordering, request: PageRequest
) -> UserConnection:
    """A page of the filtered users `statement`; the page's users prime the user loader."""
    async with context.db() as db:
        page = await fetch_page(db, statement, ordering=ordering, request=request, make=make_user_record)
    context.loaders.prime_users([row for row, _ in page.rows])
    edges = [UserEdge(node=row, ordering=ordering, position=position) for row, position in page.rows]
    ends = [page.rows[0][1], page.rows[-1][1]] if page.rows else []

    async def exists_at_or_after(position: tuple[Any, ...], reverse: bool) -> bool:
        async with context.db() as db:
            return await exists_beyond(db, statement, ordering=ordering, position=position, reverse=reverse)

    async def count_rows() -> int:
        async with context.db() as db:
            return await count(db, statement)

    next_flag, previous_flag = page_flags(request, page.more_beyond, exists_at_or_after)
    return UserConnection(
        edges=edges, page_info=page_info(ordering, ends, next_flag, previous_flag), count_rows=count_rows
    )
