"""What the schema tells whoever serves it, without knowing who that is: the HTTP layer plugs its request
IDs and metrics in here when it builds the schema and the context; by default nothing listens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _no_request_id() -> str | None:
    return None


def _ignore(_code: str) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    # The current request's ID, logged with each error and shown in INTERNAL_SERVER_ERROR answers.
    request_id: Callable[[], str | None] = _no_request_id
    # A sign-in refused, with the error code (INVALID_CREDENTIALS, RATE_LIMITED, ACCOUNT_DISABLED, ...).
    sign_in_refused: Callable[[str], None] = _ignore
