"""Who acts, for the security event log: the viewer on their own account, or the admin behind an
impersonation session (CONTRACT.md: the admin is the actor, `details.impersonation` is true)."""

from __future__ import annotations

from db.services.origin import Actor
from schema.context import Viewer


def acting(viewer: Viewer) -> Actor:
    admin_id = viewer.session.impersonated_by_id
    if admin_id is not None:
        return Actor.admin(admin_id, impersonation=True)
    return Actor.user(viewer.user.id)
