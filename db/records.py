"""Read-only rows for the read paths: plain objects built from Core rows, several times cheaper to load
than ORM instances (no identity map, no instrumentation, no ORM result loading; PITFALLS.md). Writes
keep using db.models. A record is its model's row: its fields are the model's columns (`columns_of`)
and its rules the model's own (the mixins both inherit), so the GraphQL types read either alike."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import make_dataclass
from typing import Any

from sqlalchemy import Column
from sqlmodel import SQLModel

from db.models import Session, User
from db.models.session import StatusRule
from db.models.user import BanRule


def columns_of(model: type[SQLModel], *, leaving_out: Collection[str] = ()) -> tuple[str, ...]:
    """The model's column names in table order, but those left out: a record's fields, so that the
    columns are declared once, in the model, and a column added there is read by its record too."""
    names = tuple(column.name for column in model.__table__.columns)
    if unknown := set(leaving_out) - set(names):
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    return tuple(name for name in names if name not in leaving_out)


def read_only_record(
    name: str, model: type[SQLModel], *, doc: str, leaving_out: Collection[str] = (), rules: type = object
) -> type:
    """A slotted dataclass of the model's columns (`columns_of`), with the model's rules (a mixin both
    inherit). Compared by identity, like ORM rows; built positionally from a row of `record_columns`."""
    return make_dataclass(
        name, columns_of(model, leaving_out=leaving_out), bases=(rules,), slots=True, eq=False,
        namespace={"__doc__": doc, "__module__": __name__},
    )


UserRecord = read_only_record(
    "UserRecord", User, rules=BanRule, leaving_out=("email_key", "password_hash"),
    doc="A `users` row as read for the API: every column but the password hash and the comparison key.",
)
SessionRecord = read_only_record(
    "SessionRecord", Session, rules=StatusRule, leaving_out=("token_hash",),
    doc="A `sessions` row as read for the API: every column but the token hash.",
)


def record_type_fields(record_type: type) -> tuple[str, ...]:
    return record_type.__slots__


def record_columns(record_type: type, table: Any) -> list[Column]:
    """The table's (or a subquery's) columns of a record, in the order its fields are declared."""
    return [table.c[name] for name in record_type_fields(record_type)]


def record_maker(record_type: type) -> Callable[[Any], Any]:
    """Builds a record from a Core row that starts with `record_columns` (no ORM loading machinery on the
    way); what the row holds beyond them (a page's keys, a rank) is left out."""
    width = len(record_type_fields(record_type))

    def make(row: Any) -> Any:
        return record_type(*row[:width])

    return make


make_session_record = record_maker(SessionRecord)
make_user_record = record_maker(UserRecord)
