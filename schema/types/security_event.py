"""The GraphQL `SecurityEvent` type and its connection, resolved from `SecurityEventRecord`s.

Who sees what: a user sees their own events, admins everyone's; another user as `actor` (or `user`) is
shown to admins only, `actorKind` still says what happened."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from db.event_queries import EVENT_ORDERING, SecurityEventRecord, event_position
from db.services.events import EventType
from db.services.origin import ActorKind as _ActorKind
from schema.pagination import DEFAULT_PAGE_SIZE, check_page_size, decode_cursor, encode_cursor
from schema.permissions import sees_user
from schema.relay import to_global_id
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.loaders import Loaders
    from schema.types.connections import PageInfo
    from schema.types.user import User

SecurityEventType = strawberry.enum(EventType, name="SecurityEventType")
ActorKind = strawberry.enum(
    _ActorKind, name="ActorKind", description="Who caused a security event, as seen by anyone allowed to see the event."
)


async def _visible_user(info: strawberry.Info, user_id: uuid.UUID | None):
    if user_id is None:
        return None
    viewer = await info.context.viewer()
    if viewer is None or not sees_user(viewer, user_id):
        return None
    return await info.context.loaders.user_by_id.load(user_id)


@strawberry.type(name="SecurityEvent", description="Something security-relevant that happened to an account.")
class SecurityEvent(Node):
    occurred_at: datetime
    email: str | None = strawberry.field(description="The email of the account at the time, kept after the account is deleted.")
    ip_address: str | None
    user_agent: str | None
    request_id: str | None = strawberry.field(description="The request that caused it, as in the server's logs.")
    details: JSON | None = strawberry.field(
        description='Facts particular to the type, e.g. {"reason": "..."} for a ban or {"from": "USER", "to": "ADMIN"}.'
    )

    @strawberry.field
    def id(self) -> strawberry.ID:  # `self` is the SecurityEventRecord
        return strawberry.ID(to_global_id("SecurityEvent", self.id))

    @strawberry.field(name="type")
    def type_(self) -> SecurityEventType:
        return EventType(self.type)

    @strawberry.field
    def actor_kind(self) -> ActorKind:
        return _ActorKind(self.actor_kind)

    @strawberry.field(description="Who acted; another user is shown to admins only (null otherwise: see actorKind).")
    async def actor(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        return await _visible_user(info, self.actor_id)

    @strawberry.field(description="The account it happened to; null once that account is deleted.")
    async def user(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        return await _visible_user(info, self.user_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, SecurityEventRecord)


@strawberry.type
class SecurityEventEdge:
    node: SecurityEvent

    @strawberry.field
    def cursor(self) -> str:
        return encode_cursor(EVENT_ORDERING, event_position(self.node))


@strawberry.type
class SecurityEventConnection:
    edges: list[SecurityEventEdge]
    page_info: Annotated[PageInfo, strawberry.lazy("schema.types.connections")]


def event_edges(rows: list[SecurityEventRecord]) -> list[SecurityEventEdge]:
    return [SecurityEventEdge(node=row) for row in rows]


async def user_event_connection(
    loaders: Loaders, user_id: uuid.UUID, *, first: int | None, after: str | None
) -> SecurityEventConnection:
    """One page of a user's events through the loaders, so a page of users costs one statement."""
    from schema.types.connections import page_info

    check_page_size(first, "first")
    limit = DEFAULT_PAGE_SIZE if first is None else first
    position = decode_cursor(EVENT_ORDERING, after, argument="after") if after is not None else None
    rows = await loaders.events.page.load((user_id, limit + 1, position))
    page = rows[:limit]
    ends = [event_position(page[0]), event_position(page[-1])] if page else []

    async def newer_exist() -> bool:
        return await loaders.events.has_newer.load((user_id, position))

    return SecurityEventConnection(
        edges=event_edges(page),
        page_info=page_info(EVENT_ORDERING, ends, len(rows) > limit, newer_exist if position is not None else False),
    )


@strawberry.input
class SecurityEventFilter:
    types: list[SecurityEventType] | None = None
    user_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = None
    since: datetime | None = None
