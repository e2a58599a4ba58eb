"""`Query.securityEvents`: every security event, newest first, for admins."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from db.event_queries import EVENT_ORDERING, EventFilter, SecurityEventRecord, filtered_events, make_event_record
from db.models import Role
from db.services.pagination import exists_beyond, fetch_page
from schema.context import Viewer
from schema.errors import BadUserInput
from schema.pagination import page_flags, page_request
from schema.permissions import require_admin
from schema.relay import expect_global_id
from schema.types.connections import page_info
from schema.types.security_event import SecurityEventConnection, SecurityEventFilter, event_edges


def sees_event(viewer: Viewer, event: SecurityEventRecord) -> bool:
    """A user sees the events of their own account; an admin sees every event."""
    return viewer.user.role == Role.ADMIN or (event.user_id is not None and event.user_id == viewer.user.id)


def _event_filter(given: SecurityEventFilter | None) -> EventFilter:
    if given is None:
        return EventFilter()
    # An ID of another type matches no user: the filter then finds nothing (as `user(id)` finds null).
    missing = object()

    def user_id(global_id):
        if global_id is None:
            return None
        return expect_global_id(global_id, "User") or missing

    user, actor = user_id(given.user_id), user_id(given.actor_id)
    if user is missing or actor is missing:
        return EventFilter(types=[])
    types = None if given.types is None else [t.value for t in given.types]
    return EventFilter(types=types, user_id=user, actor_id=actor, since=_utc(given.since))


def _utc(moment: datetime | None) -> datetime | None:
    try:
        return moment.astimezone(UTC) if moment is not None else None
    except OverflowError:  # 0001-01-01T00:00:00+01:00 leaves Python's range in UTC
        raise BadUserInput("'since' is out of range") from None


@strawberry.type
class EventQueries:
    @strawberry.field(description="Every security event, newest first. Admins only.")
    async def security_events(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        filter: SecurityEventFilter | None = None,
    ) -> SecurityEventConnection:
        await require_admin(info)
        request = page_request(EVENT_ORDERING, first=first, after=after, last=None, before=None)
        statement = filtered_events(_event_filter(filter))
        context = info.context
        async with context.db() as db:
            page = await fetch_page(db, statement, ordering=EVENT_ORDERING, request=request, make=make_event_record)
        rows = [row for row, _ in page.rows]

        async def exists_at_or_after(position, reverse: bool) -> bool:
            async with context.db() as db:
                return await exists_beyond(db, statement, ordering=EVENT_ORDERING, position=position, reverse=reverse)

        next_flag, previous_flag = page_flags(request, page.more_beyond, exists_at_or_after)
        ends = [page.rows[0][1], page.rows[-1][1]] if page.rows else []
        return SecurityEventConnection(
            edges=event_edges(rows), page_info=page_info(EVENT_ORDERING, ends, next_flag, previous_flag)
        )
