"""Problems the user can fix, as plain data; the GraphQL layer turns them into `UserError`s."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(str, enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    RATE_LIMITED = "RATE_LIMITED"
    NOT_FOUND = "NOT_FOUND"
    SIGN_UP_DISABLED = "SIGN_UP_DISABLED"
    INVALID_CODE = "INVALID_CODE"  # a wrong, used or missing second-factor code (two-factor)
    ACCOUNT_BANNED = "ACCOUNT_BANNED"
    # Email flows.
    INVALID_TOKEN = "INVALID_TOKEN"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class Rejected(Exception):
    """Raised by a service when its input is refused; carries every problem found at once."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)
