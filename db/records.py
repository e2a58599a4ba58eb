"""Read-only rows for the read paths: plain objects built from Core rows, several times cheaper to load
than ORM instances (no identity map, no instrumentation, no ORM result loading; PITFALLS.md). Writes
keep using db.models. A record is its model's row: its fields are the model's columns (`columns_of`)
and its rules the model's own (the mixins both inherit), so the GraphQL types read either alike."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Column
from sqlmodel import SQLModel

from db.models import Session, User
from db.models.session import StatusRule
from db.models.user import BanRule


def columns_of(model: type[SQLModel], *, leaving_out: Collection[str] = ()) -> tuple[str, ...]:
    """The model's column names in table order, but those left out: a record's `__slots__`, so that the
    columns are declared once, in the model, and a column added there is read by its record too."""
    names = tuple(column.name for column in model.__table__.columns)
    if unknown := set(leaving_out) - set(names):
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    return tuple(name for name in names if name not in leaving_out)


class UserRecord(BanRule):
    """A `users` row as read for the API: every column but the password hash and the comparison key."""

    __slots__ = columns_of(User, leaving_out=("email_key", "password_hash"))


class SessionRecord(StatusRule):
    """A `sessions` row as read for the API: every column but the token hash."""

    __slots__ = columns_of(Session, leaving_out=("token_hash",))


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
