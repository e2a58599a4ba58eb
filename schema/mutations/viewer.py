"""The signed-in viewer's own account: profile, password, deletion and sessions."""

from __future__ import annotations

import strawberry

from db.services import auth, email_flows
from db.services.sessions import revoke_other_sessions, revoke_session
from db.services.users import update_profile
from schema.actors import acting
from schema.context import Context
from schema.permissions import forbid_impersonation, require_viewer
from schema.relay import expect_global_id, to_global_id
from schema.types.inputs import ChangePasswordInput, DeleteViewerInput, UpdateViewerInput
from schema.types.payloads import (
    DeleteUserPayload,
    RevokeSessionsPayload,
    SessionPayload,
    UserPayload,
    rejected_as,
)
from schema.validation import credential_mutation


@strawberry.type
class ViewerMutations:
    @strawberry.mutation
    @rejected_as(UserPayload)
    async def update_viewer(self, info: strawberry.Info[Context], input: UpdateViewerInput) -> UserPayload:
        viewer = await require_viewer(info)
        async with info.context.db() as db:
            user = await update_profile(
                db, user=viewer.user, name=input.name,
                image=input.image or None, update_image=input.image is not strawberry.UNSET,
                acting=acting(viewer), client=info.context.client(),
            )
        return UserPayload(user=user)

    @credential_mutation
    @rejected_as(UserPayload)
    async def change_password(self, info: strawberry.Info[Context], input: ChangePasswordInput) -> UserPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        user = await email_flows.change_password(
            context.unit, auth_policy=context.config.auth, policy=context.config.email_flows, user=viewer.user,
            current_password=input.current_password, new_password=input.new_password,
            current_session_id=viewer.session.id, revoke_other_sessions=input.revoke_other_sessions,
            client=context.client(),
        )
        return UserPayload(user=user)

    @credential_mutation
    @rejected_as(DeleteUserPayload)
    async def delete_viewer(self, info: strawberry.Info[Context], input: DeleteViewerInput) -> DeleteUserPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        deleted_id = await auth.delete_account(
            context.unit, policy=context.config.auth, user=viewer.user, password=input.password,
            client=context.client(), code=input.code,
        )
        context.end_session()
        return DeleteUserPayload(deleted_user_id=strawberry.ID(to_global_id("User", deleted_id)))

    @strawberry.mutation(description="Revokes one of the viewer's sessions (any session, for an admin).")
    @rejected_as(SessionPayload)
    async def revoke_session(self, info: strawberry.Info[Context], id: strawberry.ID) -> SessionPayload:
        viewer = await require_viewer(info)
        session_id = expect_global_id(id, "Session")
        async with info.context.db() as db:
            login = await revoke_session(
                db, session_id=session_id, actor=viewer.user, acting=acting(viewer), client=info.context.client()
            )
        if login.id == viewer.session.id:
            info.context.end_session()
        return SessionPayload(session=login)

    @strawberry.mutation(description="Revokes every active session of the viewer except the current one.")
    async def revoke_other_sessions(self, info: strawberry.Info[Context]) -> RevokeSessionsPayload:
        viewer = await require_viewer(info)
        async with info.context.db() as db:
            count = await revoke_other_sessions(
                db, user=viewer.user, current_session_id=viewer.session.id,
                acting=acting(viewer), client=info.context.client(),
            )
        return RevokeSessionsPayload(revoked_count=count)
