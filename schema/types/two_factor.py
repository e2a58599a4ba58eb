"""Two-factor inputs and payloads, exactly as the contract names them (planned/two-factor.graphql)."""

from __future__ import annotations

import strawberry

from schema.types.user_error import UserError


@strawberry.input
class PasswordInput:
    password: str


@strawberry.input
class TwoFactorCodeInput:
    code: str


@strawberry.input
class DisableTwoFactorInput:
    password: str
    code: str = strawberry.field(description="A current authenticator code or an unused recovery code.")


@strawberry.input
class VerifyTwoFactorInput:
    challenge: str
    code: str = strawberry.field(description="A current authenticator code or an unused recovery code.")


@strawberry.type
class TwoFactorSetupPayload:
    secret: str | None = strawberry.field(default=None, description="Base32 secret for manual entry.")
    otpauth_uri: str | None = strawberry.field(
        default=None, description="otpauth://totp/... URI, the content of the QR code."
    )
    qr_code_svg: str | None = strawberry.field(default=None, description="The otpauth URI as an SVG QR code.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecoveryCodesPayload:
    recovery_codes: list[str] | None = strawberry.field(default=None, description="One-time codes, shown only here.")
    errors: list[UserError] = strawberry.field(default_factory=list)
