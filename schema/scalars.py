"""Custom scalar mappings: `DateTime` always carries an explicit UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

DESCRIPTION = "ISO-8601 date-time with an explicit UTC offset, e.g. 2026-11-24T10:00:00+00:00."


def _serialize(value: datetime) -> str:
    # Columns are UTC-aware already; a naive value (never expected) is taken as UTC rather than sent bare.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs an explicit UTC offset")
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(name="DateTime", description=DESCRIPTION, serialize=_serialize, parse_value=_parse)
}
