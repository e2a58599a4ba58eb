"""Errors the user can fix, returned as data in mutation payloads."""

from __future__ import annotations

import strawberry

from db.services.errors import ErrorCode

# The services' own enum, so a `Problem.code` needs no conversion and the codes are listed once.
UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="A problem with a mutation's input that the user can fix.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"]; null when no single field is.'
    )
    message: str
    code: UserErrorCode
