"""Mutation payloads: the result, or the `UserError`s that explain why there is none."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from db.services.errors import Problem, Rejected
from schema.types.session import Session
from schema.types.user import User
from schema.types.user_error import UserError

Resolver = TypeVar("Resolver", bound=Callable[..., Awaitable[Any]])


def user_errors(problems: Rejected | list[Problem]) -> list[UserError]:
    problems = problems.problems if isinstance(problems, Rejected) else problems
    return [UserError(field=list(p.field) if p.field else None, message=p.message, code=p.code) for p in problems]


def rejected_as(
    payload: type,
) -> Callable[[Resolver], Resolver]:
    """Decorate a mutation resolver so that a service's `Rejected` becomes `payload(errors=...)`.

    Put it under `@strawberry.mutation`: Strawberry reads the arguments through `__wrapped__`.
    """

    def decorate(resolver: Resolver) -> Resolver:
        @functools.wraps(resolver)
        async def resolve(*args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(*args, **kwargs)
            except Rejected as rejected:
                return payload(errors=user_errors(rejected))

        return resolve  # type: ignore[return-value]

    return decorate


@strawberry.type(description="Result of signing up or in. token is shown once: send it as 'Authorization: Bearer <token>'.")
class AuthPayload:
    token: str | None = None
    session: Session | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
    two_factor_challenge: str | None = strawberry.field(
        default=None,
        description="Set instead of token when the account has two-factor on: pass it to verifyTwoFactor.",
    )


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


@strawberry.type(description="The outcome of a request that starts a flow (an email is sent when it applies).")
class ActionPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
