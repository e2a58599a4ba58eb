"""Errors the user can fix, returned as data in mutation payloads."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum
class UserErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    RATE_LIMITED = "RATE_LIMITED"
    NOT_FOUND = "NOT_FOUND"
    SIGN_UP_DISABLED = "SIGN_UP_DISABLED"


@strawberry.type(description="A problem with a mutation's input that the user can fix.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"]; null when no single field is.'
    )
    message: str
    code: UserErrorCode
