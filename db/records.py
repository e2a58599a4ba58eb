"""Read-only rows for the read paths: plain objects built from Core rows, several times cheaper to load
than ORM instances (no identity map, no instrumentation, no ORM result loading; PITFALLS.md). Writes
keep using db.models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column

from db.models import Session, User


class UserRecord:
    """A `users` row as read for the API (no password hash)."""

    __slots__ = ("id", "created_at", "updated_at", "email", "name", "image", "email_verified", "role",
                 "is_active", "last_sign_in_at", "banned_at", "ban_reason", "ban_expires_at",
                 "two_factor_enabled")

    is_banned_at = User.is_banned_at


class SessionRecord:
    """A `sessions` row as read for the API (no token hash)."""

    __slots__ = ("id", "created_at", "updated_at", "user_id", "expires_at", "revoked_at", "ip_address",
                 "user_agent", "impersonated_by_id")

    # The same rules as the ORM row, so both behave alike wherever a session is shown.
    status_at = Session.status_at
    status = Session.status


def record_type_fields(record_type: type) -> tuple[str, ...]:
    return record_type.__slots__


def record_columns(record_type: type, table: Any) -> list[Column]:
    """The table's (or a subquery's) columns of a record, in the order `record_maker` reads them."""
    return [table.c[name] for name in record_type_fields(record_type)]


def record_maker(record_type: type) -> Callable[[Any], Any]:
    """Builds a record from a Core row of `record_columns` (no ORM loading machinery on the way).

    The function is generated, one plain assignment per field (as dataclasses generate `__init__`): a
    loop over the fields with `setattr` cost about twice as much, for every row of every read.
    """
    fields = record_type_fields(record_type)
    assignments = "\n".join(f"    record.{name} = row[{index}]" for index, name in enumerate(fields))
    source = f"def make(row):\n    record = new(record_type)\n{assignments}\n    return record\n"
    namespace: dict[str, Any] = {"new": object.__new__, "record_type": record_type}
    exec(compile(source, f"<record_maker {record_type.__name__}>", "exec"), namespace)  # noqa: S102 - fixed names
    return namespace["make"]


make_session_record = record_maker(SessionRecord)
make_user_record = record_maker(UserRecord)
