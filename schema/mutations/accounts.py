"""Password reset, email verification and email change: thin wrappers over `db.services.email_flows`.

Every one is a credential field (alone in its operation): it checks a password or a link token, or
sends mail, which aliases would otherwise multiply.
"""

from __future__ import annotations

import strawberry

from db.services import email_flows
from schema.context import Context
from schema.permissions import forbid_impersonation, require_viewer
from schema.types.inputs import (
    ConfirmEmailChangeInput,
    RequestEmailChangeInput,
    RequestPasswordResetInput,
    ResetPasswordInput,
    VerifyEmailInput,
)
from schema.types.payloads import ActionPayload, UserPayload, rejected_as
from schema.validation import credential_mutation


@strawberry.type
class AccountMutations:
    @credential_mutation(
        description="Sends a password-reset link if an account has this email. Answers the same whether or not one does."
    )
    @rejected_as(ActionPayload)
    async def request_password_reset(
        self, info: strawberry.Info[Context], input: RequestPasswordResetInput
    ) -> ActionPayload:
        context = info.context
        await email_flows.request_password_reset(
            context.unit, policy=context.config.email_flows, email=input.email, client=context.client(),
        )
        return ActionPayload(ok=True)

    @credential_mutation(
        description="Sets a new password with the token from a reset link; revokes every session of the account."
    )
    @rejected_as(ActionPayload)
    async def reset_password(self, info: strawberry.Info[Context], input: ResetPasswordInput) -> ActionPayload:
        context = info.context
        await email_flows.reset_password(
            context.unit, policy=context.config.email_flows, passwords=context.config.auth.passwords,
            token=input.token, new_password=input.new_password, client=context.client(),
        )
        return ActionPayload(ok=True)

    @credential_mutation(
        description="Sends a link that verifies the email address: the viewer's, or without a viewer the given "
        "one (if an unverified account has it)."
    )
    @rejected_as(ActionPayload)
    async def request_email_verification(
        self, info: strawberry.Info[Context], email: str | None = None
    ) -> ActionPayload:
        context = info.context
        viewer = await context.viewer(writes=True)
        await email_flows.request_email_verification(
            context.unit, policy=context.config.email_flows, viewer=viewer.user if viewer else None,
            email=email, client=context.client(),
        )
        return ActionPayload(ok=True)

    @credential_mutation(
        description="Marks an email address verified with the token from a verification link; needs no sign-in."
    )
    @rejected_as(UserPayload)
    async def verify_email(self, info: strawberry.Info[Context], input: VerifyEmailInput) -> UserPayload:
        context = info.context
        user = await email_flows.verify_email(
            context.unit, policy=context.config.email_flows, token=input.token, client=context.client(),
        )
        return UserPayload(user=user)

    @credential_mutation(
        description="Starts changing the viewer's email: a confirmation link goes to the new address, a notice "
        "to the old one."
    )
    @rejected_as(ActionPayload)
    async def request_email_change(
        self, info: strawberry.Info[Context], input: RequestEmailChangeInput
    ) -> ActionPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        await email_flows.request_email_change(
            context.unit, policy=context.config.email_flows, auth_policy=context.config.auth, user=viewer.user,
            new_email=input.new_email, password=input.password, client=context.client(),
        )
        return ActionPayload(ok=True)

    @credential_mutation(description="Completes an email change with the token from the confirmation link.")
    @rejected_as(UserPayload)
    async def confirm_email_change(
        self, info: strawberry.Info[Context], input: ConfirmEmailChangeInput
    ) -> UserPayload:
        context = info.context
        user = await email_flows.confirm_email_change(
            context.unit, policy=context.config.email_flows, token=input.token, client=context.client(),
        )
        return UserPayload(user=user)
