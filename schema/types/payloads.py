"""Mutation payloads: the result, or the `UserError`s that explain why there is none."""

from __future__ import annotations

import strawberry

from db.services.errors import Problem, Rejected
from schema.types.session import Session
from schema.types.user import User
from schema.types.user_error import UserError, UserErrorCode


def user_errors(problems: Rejected | list[Problem]) -> list[UserError]:
    problems = problems.problems if isinstance(problems, Rejected) else problems
    return [
        UserError(field=list(p.field) if p.field else None, message=p.message, code=UserErrorCode(p.code.value))
        for p in problems
    ]


@strawberry.type(description="Result of signing up or in. token is shown once: send it as 'Authorization: Bearer <token>'.")
class AuthPayload:
    token: str | None = None
    session: Session | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionPayload:
    session: Session | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeSessionsPayload:
    revoked_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteUserPayload:
    deleted_user_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
