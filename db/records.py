"""Read-only rows for the read paths: plain objects built from Core rows, several times cheaper to load
than ORM instances (no identity map, no instrumentation, no ORM result loading; PITFALLS.md). Writes
keep using db.models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column

from db.models import Session


class UserRecord:
    """A `users` row as read for the API (no password hash)."""

    __slots__ = ("id", "created_at", "updated_at", "email", "name", "image", "email_verified", "role",
                 "is_active", "last_sign_in_at")


class SessionRecord:
    """A `sessions` row as read for the API (no token hash)."""

    __slots__ = ("id", "created_at", "updated_at", "user_id", "expires_at", "revoked_at", "ip_address",
                 "user_agent")

    # The same rules as the ORM row, so both behave alike wherever a session is shown.
    status_at = Session.status_at
    status = Session.status


def record_type_fields(record_type: type) -> tuple[str, ...]:
    return record_type.__slots__


def record_columns(record_type: type, table: Any) -> list[Column]:
    """The table's (or a subquery's) columns of a record, in the order `record_maker` reads them."""
    return [table.c[name] for name in record_type_fields(record_type)]


def record_maker(record_type: type) -> Callable[[Any], Any]:
    """Builds a record from a Core row of `record_columns` (no ORM loading machinery on the way)."""
    fields = record_type_fields(record_type)
    setter = object.__setattr__

    def make(row: Any) -> Any:
        record = record_type.__new__(record_type)
        for name, value in zip(fields, row):  # rows may carry more columns after the record's
            setter(record, name, value)
        return record

    return make


make_session_record = record_maker(SessionRecord)
make_user_record = record_maker(UserRecord)
