"""Connection arguments and opaque cursors: validating first/last/after/before and building pages' edges.

A cursor is base64url JSON of the ordering's name and the row's key values (ID last). Anything that
does not decode to a position of the requested ordering is `BAD_USER_INPUT`, never a 500: decoding
raises only the exceptions `decode_cursor` turns into it, and a decoded position holds only values the
database accepts (UTC datetimes within range, UUIDs, UTF-8 text without NUL).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from db.services.pagination import Ordering, PageRequest
from schema.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 1024


def encode_cursor(ordering: Ordering, position: Sequence[Any]) -> str:
    values = [value.isoformat() if isinstance(value, datetime) else value for value in position]
    values = [str(value) if isinstance(value, uuid.UUID) else value for value in values]
    raw = json.dumps([ordering.name, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str, *, argument: str) -> tuple[Any, ...]:
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
        decoded = json.loads(raw)
        if not isinstance(decoded, list):
            raise TypeError  # a dict or a string would unpack below as if it were a list
        name, *values = decoded
        if name != ordering.name or len(values) != len(ordering.keys):
            raise ValueError
        pairs = zip(ordering.keys, values, strict=True)
        return tuple(_decode_value(key.kind, key.nullable, value) for key, value in pairs)
    # OverflowError: a datetime that leaves Python's range in UTC (0001-01-01T00:00:00+01:00).
    except (ValueError, TypeError, OverflowError, UnicodeError, binascii.Error, RecursionError):
        raise BadUserInput(f"Malformed or foreign cursor in {argument!r} (for this ordering)") from None


def _decode_value(kind: type, nullable: bool, value: Any) -> Any:
    if value is None:
        if not nullable:
            raise ValueError
        return None
    if not isinstance(value, str):
        raise TypeError
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        # In UTC here rather than when the driver binds it, where an out-of-range moment would be a 500.
        return parsed.astimezone(UTC)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if "\x00" in value:
        raise ValueError  # no stored key has one, and PostgreSQL refuses NUL in a query parameter
    value.encode()  # a lone surrogate from a JSON escape cannot be sent to the database
    return value


def check_page_size(value: int | None, argument: str) -> None:
    if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
        raise BadUserInput(f"{argument!r} must be between 0 and {MAX_PAGE_SIZE}")


def page_request(
    ordering: Ordering, *, first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    """Validate Relay connection arguments. `first` with `last` is refused (ambiguous); `before`
    alone means the last page before it; no arguments mean the first 20."""
    if first is not None and last is not None:
        raise BadUserInput("Pass 'first' or 'last', not both")
    check_page_size(first, "first")
    check_page_size(last, "last")
    after_position = decode_cursor(ordering, after, argument="after") if after is not None else None
    before_position = decode_cursor(ordering, before, argument="before") if before is not None else None
    backward = last is not None or (first is None and before is not None)
    limit = (last if backward else first)
    return PageRequest(
        limit=DEFAULT_PAGE_SIZE if limit is None else limit,
        after=after_position,
        before=before_position,
        backward=backward,
    )


BoolOrCheck = bool | Callable[[], Awaitable[bool]]


def page_flags(
    request: PageRequest,
    more_beyond: bool,
    exists_at_or_after: Callable[[tuple[Any, ...], bool], Awaitable[bool]],
) -> tuple[BoolOrCheck, BoolOrCheck]:
    """(hasNextPage, hasPreviousPage): known from the limit + 1 fetch at the far end, and from an
    existence check beyond the cursor at the near end (run only if the client asks)."""

    def beyond(position: tuple[Any, ...] | None, reverse: bool) -> BoolOrCheck:
        if position is None:
            return False
        return lambda: exists_at_or_after(position, reverse)

    if request.backward:
        return beyond(request.before, False), more_beyond or beyond(request.after, True)
    return more_beyond or beyond(request.before, False), beyond(request.after, True)
