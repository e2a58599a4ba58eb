"""Admins' power tools: bans and impersonation; the rules live in `db.services.bans` and
`db.services.impersonation`."""

from __future__ import annotations

import strawberry

from db.services import bans, impersonation
from db.services.origin import Actor
from schema.context import Context
from schema.permissions import forbid_impersonation, require_admin, require_viewer
from schema.relay import expect_global_id
from schema.types.inputs_admin import BanUserInput
from schema.types.payloads import AuthPayload, SessionPayload, UserPayload, rejected_as


@strawberry.type
class ModerationMutations:
    @strawberry.mutation(description="Admins only: bans a user and revokes all of their sessions.")
    @rejected_as(UserPayload)
    async def ban_user(self, info: strawberry.Info[Context], id: strawberry.ID, input: BanUserInput) -> UserPayload:
        viewer = await require_admin(info)
        async with info.context.db() as db:
            user = await bans.ban_user(
                db, user_id=expect_global_id(id, "User"), reason=input.reason, expires_at=input.expires_at,
                actor=Actor.admin(viewer.user.id), client=info.context.client(),
            )
        return UserPayload(user=user)

    @strawberry.mutation(description="Admins only.")
    @rejected_as(UserPayload)
    async def unban_user(self, info: strawberry.Info[Context], id: strawberry.ID) -> UserPayload:
        viewer = await require_admin(info)
        async with info.context.db() as db:
            user = await bans.unban_user(
                db, user_id=expect_global_id(id, "User"), actor=Actor.admin(viewer.user.id),
                client=info.context.client(),
            )
        return UserPayload(user=user)

    @strawberry.mutation(
        description="Admins only: opens a short session as another user, for support. Returns its token."
    )
    @rejected_as(AuthPayload)
    async def impersonate_user(self, info: strawberry.Info[Context], id: strawberry.ID) -> AuthPayload:
        viewer = await require_admin(info)
        forbid_impersonation(viewer)
        context = info.context
        async with context.db() as db:
            user, login, token = await impersonation.impersonate(
                db, admin_id=viewer.user.id, user_id=expect_global_id(id, "User"),
                policy=context.config.auth.sessions, client=context.client(),
            )
        # No cookie and no change of viewer: the admin's page keeps the token in memory (README).
        return AuthPayload(token=token, session=login, user=user)

    @strawberry.mutation(description="Ends the impersonation session that authenticates this request.")
    @rejected_as(SessionPayload)
    async def stop_impersonating(self, info: strawberry.Info[Context]) -> SessionPayload:
        viewer = await require_viewer(info)
        async with info.context.db() as db:
            login = await impersonation.stop_impersonating(db, login=viewer.session, client=info.context.client())
        return SessionPayload(session=login)
