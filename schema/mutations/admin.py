"""Admin-only mutations on any account; the rules live in `db.services.admin`."""

from __future__ import annotations

import uuid

import strawberry

from db.services import admin
from db.services.origin import Actor
from schema.permissions import require_admin
from schema.relay import expect_global_id, to_global_id
from schema.types.inputs import CreateUserInput, UpdateUserInput
from schema.types.payloads import DeleteUserPayload, RevokeSessionsPayload, UserPayload, rejected_as


def _user_id(global_id: strawberry.ID) -> uuid.UUID | None:
    """A malformed ID is `BAD_USER_INPUT`; another type's ID is just not a user (None: `NOT_FOUND`)."""
    return expect_global_id(global_id, "User")


def _image_change(image: str | None) -> str | None:
    """The service's terms: None leaves the image alone, "" removes it."""
    if image is strawberry.UNSET:
        return None
    return "" if image is None else image


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Admins only.")
    @rejected_as(UserPayload)
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> UserPayload:
        viewer = await require_admin(info)
        user = await admin.create_user(
            info.context.unit, email=input.email, name=input.name, password=input.password,
            role=input.role, email_verified=input.email_verified, passwords=info.context.config.auth.passwords,
            actor=Actor.admin(viewer.user.id), client=info.context.client(),
        )
        return UserPayload(user=user)

    @strawberry.mutation(description="Admins only.")
    @rejected_as(UserPayload)
    async def update_user(self, info: strawberry.Info, id: strawberry.ID, input: UpdateUserInput) -> UserPayload:
        viewer = await require_admin(info)
        user_id = _user_id(id)
        user = await admin.update_user(
            info.context.unit, user_id=user_id, email=input.email, name=input.name, image=_image_change(input.image),
            role=input.role, is_active=input.is_active, email_verified=input.email_verified,
            password=input.password, passwords=info.context.config.auth.passwords,
            mail=info.context.config.email_flows.mail, actor=Actor.admin(viewer.user.id),
            client=info.context.client(),
        )
        return UserPayload(user=user)

    @strawberry.mutation(description="Admins only.")
    @rejected_as(DeleteUserPayload)
    async def delete_user(self, info: strawberry.Info, id: strawberry.ID) -> DeleteUserPayload:
        viewer = await require_admin(info)
        user_id = _user_id(id)
        async with info.context.db() as db:
            deleted = await admin.delete_user(
                db, user_id=user_id, actor=Actor.admin(viewer.user.id), client=info.context.client()
            )
        return DeleteUserPayload(deleted_user_id=strawberry.ID(to_global_id("User", deleted)))

    @strawberry.mutation(description="Admins only: revokes every active session of a user.")
    @rejected_as(RevokeSessionsPayload)
    async def revoke_user_sessions(self, info: strawberry.Info, user_id: strawberry.ID) -> RevokeSessionsPayload:
        viewer = await require_admin(info)
        target = _user_id(user_id)
        async with info.context.db() as db:
            revoked = await admin.revoke_user_sessions(
                db, user_id=target, actor=Actor.admin(viewer.user.id), client=info.context.client()
            )
        return RevokeSessionsPayload(revoked_count=revoked)
