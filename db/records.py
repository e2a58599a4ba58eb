"""Read-only rows for the read paths: plain objects built from Core rows, several times cheaper to load
than ORM instances (no identity map, no instrumentation; PITFALLS.md). Writes keep using db.models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Bundle

from db.models import Session, User


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


class _RecordBundle(Bundle):
    """Selects a record's columns as one entity: `row[0]` is the record."""

    def __init__(self, record_type: type, columns: list[Column]) -> None:
        super().__init__(record_type.__name__, *columns)
        self.record_type = record_type

    def create_row_processor(self, query, procs, labels) -> Callable[[Any], Any]:
        record_type, fields = self.record_type, record_type_fields(self.record_type)
        pairs = list(zip(fields, procs, strict=True))

        def make(row: Any) -> Any:
            record = record_type.__new__(record_type)
            for name, proc in pairs:
                object.__setattr__(record, name, proc(row))
            return record

        return make


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
        for name, value in zip(fields, row, strict=True):
            setter(record, name, value)
        return record

    return make


make_session_record = record_maker(SessionRecord)
make_user_record = record_maker(UserRecord)


def _columns(model: type, record_type: type) -> list[Column]:
    return [getattr(model, name) for name in record_type_fields(record_type)]


def user_records() -> Bundle:
    return _RecordBundle(UserRecord, _columns(User, UserRecord))


def session_records(source: Any = Session) -> Bundle:
    """Session records read from `Session`, or from an alias of it (a subquery's columns)."""
    return _RecordBundle(SessionRecord, _columns(source, SessionRecord))
