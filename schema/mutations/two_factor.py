"""Two-factor mutations: the viewer's set-up and removal, the second step of signing in, and an admin's
reset. Thin wrappers over `db.services.two_factor_flows`. Each takes a password, a code or a challenge,
so each stands alone in its operation (`credential_mutation`)."""

from __future__ import annotations

import strawberry

from db.services import two_factor_flows
from db.services.errors import Rejected
from schema.context import Context
from schema.permissions import forbid_impersonation, require_admin, require_viewer
from schema.relay import expect_global_id
from schema.types.payloads import AuthPayload, UserPayload, rejected_as
from schema.types.two_factor import (
    DisableTwoFactorInput,
    PasswordInput,
    RecoveryCodesPayload,
    TwoFactorCodeInput,
    TwoFactorSetupPayload,
    VerifyTwoFactorInput,
)
from schema.validation import credential_mutation


@strawberry.type
class TwoFactorMutations:
    @credential_mutation(description="Starts two-factor set-up; it stays off until confirmTwoFactorSetup.")
    @rejected_as(TwoFactorSetupPayload)
    async def begin_two_factor_setup(self, info: strawberry.Info[Context], input: PasswordInput) -> TwoFactorSetupPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        setup = await two_factor_flows.begin_setup(
            context.unit, policy=context.config.auth, user=viewer.user, password=input.password, client=context.client(),
        )
        return TwoFactorSetupPayload(secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_code_svg=setup.qr_code_svg)

    @credential_mutation(description="Turns two-factor on with a current code from the app; returns recovery codes.")
    @rejected_as(RecoveryCodesPayload)
    async def confirm_two_factor_setup(
        self, info: strawberry.Info[Context], input: TwoFactorCodeInput
    ) -> RecoveryCodesPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        codes = await two_factor_flows.confirm_setup(
            context.unit, policy=context.config.auth, mail=context.config.email_flows.mail, user=viewer.user,
            code=input.code, client=context.client(),
        )
        return RecoveryCodesPayload(recovery_codes=codes)

    @credential_mutation(description="Turns two-factor off.")
    @rejected_as(UserPayload)
    async def disable_two_factor(self, info: strawberry.Info[Context], input: DisableTwoFactorInput) -> UserPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        user = await two_factor_flows.disable(
            context.unit, policy=context.config.auth, mail=context.config.email_flows.mail, user=viewer.user,
            password=input.password, code=input.code, client=context.client(),
        )
        return UserPayload(user=user)

    @credential_mutation(description="Replaces all recovery codes.")
    @rejected_as(RecoveryCodesPayload)
    async def regenerate_recovery_codes(self, info: strawberry.Info[Context], input: PasswordInput) -> RecoveryCodesPayload:
        viewer = await require_viewer(info)
        forbid_impersonation(viewer)
        context = info.context
        codes = await two_factor_flows.regenerate_recovery_codes(
            context.unit, policy=context.config.auth, mail=context.config.email_flows.mail, user=viewer.user,
            password=input.password, client=context.client(),
        )
        return RecoveryCodesPayload(recovery_codes=codes)

    @credential_mutation(description="Second step of signIn for an account with two-factor on.")
    @rejected_as(AuthPayload)
    async def verify_two_factor(self, info: strawberry.Info[Context], input: VerifyTwoFactorInput) -> AuthPayload:
        context = info.context
        try:
            signed_in = await two_factor_flows.verify(
                context.unit, policy=context.config.auth, mail=context.config.email_flows.mail,
                challenge=input.challenge, code=input.code, client=context.client(),
            )
        except Rejected as rejected:
            for problem in rejected.problems:
                context.config.hooks.sign_in_refused(problem.code.value)
            raise
        context.start_session(signed_in)  # the cookie exactly as signIn sets it
        return AuthPayload(token=signed_in.token, session=signed_in.session, user=signed_in.user)

    @credential_mutation(
        description="Admins only: turns a user's two-factor off (a lost device) and revokes their sessions."
    )
    @rejected_as(UserPayload)
    async def reset_two_factor(self, info: strawberry.Info[Context], user_id: strawberry.ID) -> UserPayload:
        viewer = await require_admin(info)
        forbid_impersonation(viewer)
        target = expect_global_id(user_id, "User")
        context = info.context
        async with context.db() as db:
            user = await two_factor_flows.reset(
                db, mail=context.config.email_flows.mail, admin=viewer.user, user_id=target, client=context.client(),
            )
        return UserPayload(user=user)
