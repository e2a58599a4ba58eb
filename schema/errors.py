"""Top-level GraphQL errors with a stable `extensions.code` (payload errors live in types/user_error.py),
and how errors reach the client (codes, masking of unexpected failures) and the log."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError


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


INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GENERIC_MESSAGE = "Internal server error"

log = logging.getLogger("usergraph.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """An exception escaped from our code (a bug or an outage), as opposed to a deliberate GraphQL error."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def is_request_error(errors: Sequence[GraphQLError]) -> bool:
    """Errors raised before execution began (parse, validation, variables): none has a response path."""
    return bool(errors) and all(error.path is None for error in errors)


def error_code(error: GraphQLError) -> str | None:
    if is_unexpected(error):
        return INTERNAL_SERVER_ERROR
    code = (error.extensions or {}).get("code")
    if code:
        return code
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    if error.path is None:
        # Validation errors carry their code already (schema/validation.py); what is left before
        # execution is variable coercion.
        return BadUserInput.code
    return None


def format_error(error: GraphQLError, *, debug: bool, request_id: str | None) -> dict[str, Any]:
    """The error as the client sees it: unexpected failures are masked unless DEBUG is on."""
    formatted = error.formatted
    code = error_code(error)
    extensions = dict(formatted.get("extensions") or {})
    if code:
        extensions["code"] = code
    if code == INTERNAL_SERVER_ERROR:
        if request_id:
            extensions["requestId"] = request_id
        if debug and error.original_error is not None:
            original = error.original_error
            extensions["exception"] = {
                "type": type(original).__name__,
                "stacktrace": traceback.format_exception(original),
            }
        else:
            formatted["message"] = GENERIC_MESSAGE
    if extensions:
        formatted["extensions"] = extensions
    return formatted


def log_errors(errors: Sequence[GraphQLError], request_id: str | None) -> None:
    """Unexpected errors get their full traceback in the log; client mistakes one debug line."""
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            log.error(
                "unexpected error in request %s at %s: %s",
                request_id, ".".join(map(str, error.path or ())) or "-", original,
                exc_info=(type(original), original, original.__traceback__),
            )
        else:
            log.debug("GraphQL error in request %s: %s", request_id, error.message)
