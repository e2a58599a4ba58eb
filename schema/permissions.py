"""Who may do what: the one place resolvers ask about the viewer's rights."""

from __future__ import annotations

import uuid

import strawberry
from graphql import OperationType

from db.models import Role
from schema.context import Viewer
from schema.errors import Forbidden, Unauthenticated


async def require_viewer(info: strawberry.Info) -> Viewer:
    """The signed-in viewer; `UNAUTHENTICATED` for an anonymous request. In a mutation its user and
    session are ORM rows, which the services write to."""
    viewer = await info.context.viewer(writes=info.operation.operation is OperationType.MUTATION)
    if viewer is None:
        raise Unauthenticated()
    return viewer


async def require_admin(info: strawberry.Info) -> Viewer:
    """The signed-in viewer if an admin; `UNAUTHENTICATED` if anonymous, `FORBIDDEN` otherwise."""
    viewer = await require_viewer(info)
    if viewer.user.role != Role.ADMIN:
        raise Forbidden()
    # An impersonation session is the user's own: it never acts as an admin, even if the user became one.
    forbid_impersonation(viewer)
    return viewer


def sees_user(viewer: Viewer, user_id: uuid.UUID) -> bool:
    """A user sees itself and what belongs to it; an admin sees everyone."""
    return viewer.user.id == user_id or viewer.user.role == Role.ADMIN


async def require_self_or_admin(info: strawberry.Info, user_id: uuid.UUID) -> Viewer:
    viewer = await require_viewer(info)
    if not sees_user(viewer, user_id):
        raise Forbidden()
    return viewer


def forbid_impersonation(viewer: Viewer) -> None:
    """Fields that change the password, the email or two-factor, delete the account or impersonate refuse
    a session an admin opened with `impersonateUser`: `FORBIDDEN` (CONTRACT.md)."""
    if viewer.session.impersonated_by_id is not None:  # an ORM row or a SessionRecord: both have it
        raise Forbidden()
