"""Root query fields: the viewer, Relay `node`/`nodes`, one user, and the admins' list of users."""

from __future__ import annotations

import asyncio

import strawberry

from db import queries
from db.models import Session as SessionRow
from db.models import User as UserRow
from schema.context import Viewer
from schema.errors import BadUserInput
from schema.pagination import MAX_PAGE_SIZE, page_request
from schema.permissions import require_admin, require_viewer, sees_user
from schema.relay import expect_global_id, from_global_id
from schema.types.connections import UserConnection, user_connection
from schema.types.enums import OrderDirection
from schema.types.node import Node
from schema.queries_events import EventQueries, sees_event
from schema.types.user import User
from schema.types.user_filter import UserFilter, UserOrder

_SEARCH_MAX = 320


async def _visible_node(info: strawberry.Info, viewer: Viewer, global_id: str) -> UserRow | SessionRow | None:
    kind, id_ = from_global_id(global_id)
    loaders = info.context.loaders
    if kind == "User":
        user = await loaders.user_by_id.load(id_)
        return user if user is not None and sees_user(viewer, user.id) else None
    if kind == "Session":
        session = await loaders.session_by_id.load(id_)
        return session if session is not None and sees_user(viewer, session.user_id) else None
    if kind == "SecurityEvent":
        found = await loaders.events.by_id.load(id_)
        return found if found is not None and sees_event(viewer, found) else None
    return None


@strawberry.type
class Query(EventQueries):
    @strawberry.field(description="The signed-in user, or null for an anonymous request.")
    async def viewer(self, info: strawberry.Info) -> User | None:
        viewer = await info.context.viewer()
        return viewer.user if viewer else None

    @strawberry.field
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        viewer = await require_viewer(info)
        return await _visible_node(info, viewer, id)

    @strawberry.field
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        viewer = await require_viewer(info)
        if len(ids) > MAX_PAGE_SIZE:
            raise BadUserInput(f"At most {MAX_PAGE_SIZE} IDs at once")
        # A malformed ID is null in its own place with a BAD_USER_INPUT error at that path (graphql-core
        # raises an exception found in a list at the item's path); the others are still answered.
        malformed: dict[str, BadUserInput] = {}
        for global_id in ids:
            try:
                from_global_id(global_id)  # every ID is checked before anything is loaded
            except BadUserInput as error:
                malformed[global_id] = error
        # A repeated ID is looked up once; every position still gets its object (the cost counts each).
        distinct = [global_id for global_id in dict.fromkeys(ids) if global_id not in malformed]
        found = await asyncio.gather(*(_visible_node(info, viewer, global_id) for global_id in distinct))
        by_id: dict[str, object] = {**dict(zip(distinct, found, strict=True)), **malformed}
        return [by_id[global_id] for global_id in ids]

    @strawberry.field(description="A user by ID: the viewer themself, or anyone for an admin; null otherwise.")
    async def user(self, info: strawberry.Info, id: strawberry.ID) -> User | None:
        viewer = await require_viewer(info)
        user_id = expect_global_id(id, "User")
        if user_id is None or not sees_user(viewer, user_id):
            return None
        return await info.context.loaders.user_by_id.load(user_id)

    @strawberry.field(
        description="All users, keyset-paginated. Admins only.\n\n"
        "`first`/`last` default to 20 and must be 0-100; `first` with `last` is refused (BAD_USER_INPUT); "
        "`before` alone gives the last page before it. Ties are broken by ID. EMAIL and NAME order "
        "case-insensitively; users who never signed in sort after everyone else for LAST_SIGN_IN_AT ASC "
        "(DESC is the exact reverse). Cursors belong to one ordering."
    )
    async def users(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: UserFilter | None = None,
        order_by: UserOrder | None = None,
    ) -> UserConnection:
        await require_admin(info)
        order = order_by or UserOrder()
        ordering = queries.user_ordering(order.field.value, descending=order.direction is OrderDirection.DESC)
        request = page_request(ordering, first=first, after=after, last=last, before=before)
        filter = filter or UserFilter()
        if filter.search is not None and (len(filter.search) > _SEARCH_MAX or "\x00" in filter.search):
            raise BadUserInput(f"'search' must be at most {_SEARCH_MAX} characters, without NUL")
        statement = queries.filtered_users(
            queries.UserFilter(
                search=filter.search, role=filter.role, is_active=filter.is_active, email_verified=filter.email_verified,
                is_banned=filter.is_banned,
            )
        )
        return await user_connection(info.context, statement, ordering=ordering, request=request)
