"""The one place resolvers check who may do what: a signed-in viewer, or an admin."""

from __future__ import annotations

import strawberry

from db.models import Role
from schema.context import Viewer
from schema.errors import Forbidden, Unauthenticated


async def require_viewer(info: strawberry.Info) -> Viewer:
    """The signed-in viewer; anonymous requests get a top-level UNAUTHENTICATED error."""
    viewer = await info.context.viewer()
    if viewer is None:
        raise Unauthenticated()
    return viewer


async def require_admin(info: strawberry.Info) -> Viewer:
    """An admin viewer; anonymous requests are UNAUTHENTICATED, other users FORBIDDEN."""
    viewer = await require_viewer(info)
    if viewer.user.role is not Role.ADMIN:
        raise Forbidden()
    return viewer
