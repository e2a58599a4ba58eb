"""Mutation input types, exactly as the contract names them."""

from __future__ import annotations

import strawberry

from schema.types.enums import Role


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str


@strawberry.input
class SignInInput:
    email: str
    password: str


@strawberry.input
class UpdateViewerInput:
    name: str | None = None
    # UNSET (absent) leaves the image alone; an explicit null removes it.
    image: str | None = strawberry.UNSET


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str
    revoke_other_sessions: bool = True


@strawberry.input
class DeleteViewerInput:
    password: str
    code: str | None = strawberry.field(
        default=None,
        description="Needed when the account has two-factor on: a current authenticator code or an unused recovery code.",
    )


@strawberry.input
class CreateUserInput:
    email: str
    password: str
    name: str
    role: Role = Role.USER
    email_verified: bool = False


@strawberry.input
class UpdateUserInput:
    email: str | None = None
    name: str | None = None
    # As in UpdateViewerInput: UNSET (absent) leaves the image alone; an explicit null removes it.
    image: str | None = strawberry.UNSET
    role: Role | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    password: str | None = None


# Email flows (planned/accounts.graphql).


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.input
class VerifyEmailInput:
    token: str


@strawberry.input
class RequestEmailChangeInput:
    new_email: str
    password: str


@strawberry.input
class ConfirmEmailChangeInput:
    token: str
