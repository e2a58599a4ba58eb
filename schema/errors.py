"""Top-level GraphQL errors with a stable `extensions.code` (payload errors live in types/user_error.py)."""

from __future__ import annotations

from graphql import GraphQLError


class CodedError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"
    default_message = "Internal server error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message, extensions={"code": self.code})


class Unauthenticated(CodedError):
    code = "UNAUTHENTICATED"
    default_message = "You must be signed in"


class Forbidden(CodedError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this"


class BadUserInput(CodedError):
    code = "BAD_USER_INPUT"
    default_message = "Invalid input"
