"""signUp, signIn and signOut: thin wrappers over `db.services.auth` that also manage the cookie."""

from __future__ import annotations

import strawberry

from db.services import auth, email_flows
from db.services.errors import Rejected
from db.services.events import EventType
from db.services.sessions import revoke_session
from schema.actors import acting
from schema.context import Context
from schema.permissions import require_viewer
from schema.types.inputs import SignInInput, SignUpInput
from schema.types.payloads import AuthPayload, SessionPayload, rejected_as
from schema.validation import credential_mutation


def _signed_in(context: Context, signed_in: auth.SignedIn) -> AuthPayload:
    if signed_in.token is None:  # REQUIRE_EMAIL_VERIFICATION: signed up, no session until verified
        return AuthPayload(user=signed_in.user)
    context.start_session(signed_in)
    return AuthPayload(token=signed_in.token, session=signed_in.session, user=signed_in.user)


@strawberry.type
class AuthMutations:
    @credential_mutation
    @rejected_as(AuthPayload)
    async def sign_up(self, info: strawberry.Info[Context], input: SignUpInput) -> AuthPayload:
        context = info.context
        signed_in = await email_flows.sign_up(
            context.unit, auth_policy=context.config.auth, policy=context.config.email_flows, email=input.email,
            password=input.password, name=input.name, client=context.client(),
        )
        return _signed_in(context, signed_in)

    @credential_mutation
    @rejected_as(AuthPayload)
    async def sign_in(self, info: strawberry.Info[Context], input: SignInInput) -> AuthPayload:
        context = info.context
        try:
            signed_in = await auth.sign_in(
                context.unit, policy=context.config.auth, email=input.email, password=input.password,
                client=context.client(),
            )
        except Rejected as rejected:
            for problem in rejected.problems:
                context.config.hooks.sign_in_refused(problem.code.value)
            raise
        if isinstance(signed_in, auth.TwoFactorRequired):  # no token, session, user or cookie yet
            return AuthPayload(two_factor_challenge=signed_in.challenge)
        return _signed_in(context, signed_in)

    @strawberry.mutation(description="Revokes the session that authenticates this request.")
    async def sign_out(self, info: strawberry.Info[Context]) -> SessionPayload:
        context = info.context
        context.end_session()  # even when the cookie no longer authenticates, the browser should drop it
        viewer = await require_viewer(info)
        async with context.db() as db:
            login = await revoke_session(
                db, session_id=viewer.session.id, actor=viewer.user, field=None,
                acting=acting(viewer), client=context.client(), event=EventType.SIGNED_OUT,
            )
        return SessionPayload(session=login)
