"""Migrations build exactly the schema the models declare, and run down to nothing and up again.

The expected schema is read from `SQLModel.metadata`, never listed here, so a new model or migration is
checked without touching this file. The actual schema is reflected from a fresh database of its own
(SQLite file, or a PostgreSQL database beside the test one): tables with their columns, primary keys,
foreign keys, unique constraints and indexes, by name and by the columns they cover.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Index, Table, UniqueConstraint, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

import db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from db.migrations import downgrade, upgrade
from tests.support.databases import create_test_database, drop_test_database

ALEMBIC_TABLE = "alembic_version"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- what the models declare --------------------------------------------------------------------------


def _covered(element: str, columns: set[str]) -> tuple[str, ...]:
    """The table's columns an index element mentions: `id` → (id,), `lower(name::text)` → (name,),
    `created_at DESC` → (created_at,). The same rule reads the models and the database, so an expression
    index is compared by name and columns wherever the backend cannot give its expression back verbatim."""
    return tuple(word for word in _IDENTIFIER.findall(element) if word in columns)


def _index_shape(table: Table, index: Index) -> tuple[bool, tuple[tuple[str, ...], ...]]:
    columns = set(table.columns.keys())
    elements = [e.name if isinstance(e, Column) else str(e) for e in index.expressions]
    return bool(index.unique), tuple(_covered(element, columns) for element in elements)


def expected_schema() -> dict[str, dict[str, Any]]:
    schema = {}
    for table in SQLModel.metadata.sorted_tables:
        schema[table.name] = {
            "columns": {column.name: column.nullable for column in table.columns},
            "primary_key": tuple(column.name for column in table.primary_key.columns),
            "foreign_keys": {
                (tuple(fk.parent.name for fk in constraint.elements), constraint.referred_table.name,
                 tuple(fk.column.name for fk in constraint.elements))
                for constraint in table.foreign_key_constraints
            },
            "unique_constraints": {
                tuple(column.name for column in constraint.columns)
                for constraint in table.constraints
                if isinstance(constraint, UniqueConstraint)
            },
            "indexes": {index.name: _index_shape(table, index) for index in table.indexes},
        }
    return schema


# --- what the database holds --------------------------------------------------------------------------


def _top_level_split(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for position, char in enumerate(body):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(body[start:position])
            start = position + 1
    return [*parts, body[start:]]


def _sqlite_expression_indexes(connection: Connection, table: str) -> dict[str, tuple[bool, list[str]]]:
    """SQLAlchemy's SQLite inspector skips expression indexes (with a warning); their DDL is in sqlite_master."""
    rows = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"),
        {"table": table},
    )
    indexes = {}
    for name, sql in rows:
        body = sql[sql.index("(") + 1 : sql.rindex(")")]
        indexes[name] = (sql.upper().startswith("CREATE UNIQUE"), _top_level_split(body))
    return indexes


def reflected_schema(connection: Connection) -> dict[str, dict[str, Any]]:
    inspector = inspect(connection)
    schema = {}
    for table in inspector.get_table_names():
        if table == ALEMBIC_TABLE:
            continue
        columns = {column["name"]: column["nullable"] for column in inspector.get_columns(table)}
        indexes: dict[str, tuple[bool, list[str]]] = {}
        if connection.dialect.name == "sqlite":
            indexes.update(_sqlite_expression_indexes(connection, table))
        for index in inspector.get_indexes(table):
            if index.get("duplicates_constraint"):  # PostgreSQL: the index behind a unique constraint
                continue
            names = index["column_names"]
            elements = index.get("expressions") or names
            indexes[index["name"]] = (bool(index["unique"]), [element or "" for element in elements])
        schema[table] = {
            "columns": columns,
            "primary_key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": {
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            },
            "unique_constraints": {
                tuple(constraint["column_names"]) for constraint in inspector.get_unique_constraints(table)
            },
            "indexes": {
                name: (unique, tuple(_covered(element, set(columns)) for element in elements))
                for name, (unique, elements) in indexes.items()
            },
        }
    return schema


def leftovers(connection: Connection) -> dict[str, list[str]]:
    """Everything of the application's still in the database: tables (Alembic's own aside; an index goes
    with its table), and on PostgreSQL enum types and sequences, which outlive a dropped table."""
    inspector = inspect(connection)
    found = {
        "tables": [table for table in inspector.get_table_names() if table != ALEMBIC_TABLE],
        "versions": [row[0] for row in connection.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}"))],
    }
    if connection.dialect.name == "postgresql":
        found["enums"] = [enum["name"] for enum in inspector.get_enums()]
        found["sequences"] = inspector.get_sequence_names()
    return found


# --- fixtures and tests ------------------------------------------------------------------------------


@pytest.fixture
async def fresh_database_url(database_url: str, tmp_path) -> AsyncIterator[str]:
    """An empty database of the test run's kind, dropped afterwards."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"usergraph_migrations_{secrets.token_hex(4)}"
    url = await asyncio.to_thread(create_test_database, database_url, name)  # asyncio.run of its own
    try:
        yield url
    finally:
        await asyncio.to_thread(drop_test_database, url)


async def _inspect(url: str, how):
    """Run `how(connection)` on the database, through the app's own engine set-up."""
    from api.settings import get_settings
    from db.engine import create_engine

    engine = create_engine(get_settings(), url=url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(how)
    finally:
        await engine.dispose()


async def _migrate(step, url: str, *args: str) -> None:
    # Alembic's env.py runs an event loop of its own: in a worker thread, so the tests' loop is left alone.
    await asyncio.to_thread(step, url, *args)


def test_the_models_declare_tables_and_indexes():
    # Guards the comparison below against a metadata that lost its tables (an import gone missing).
    schema = expected_schema()
    assert schema and all(table["columns"] and table["primary_key"] for table in schema.values())
    assert any(table["indexes"] for table in schema.values())


# The SQLite inspector warns that it skips expression indexes; _sqlite_expression_indexes reads them.
SKIPPED_EXPRESSION_INDEX = "ignore:Skipped unsupported reflection of expression-based index"


@pytest.mark.filterwarnings(SKIPPED_EXPRESSION_INDEX)
async def test_upgrade_builds_exactly_the_tables_and_indexes_the_models_declare(fresh_database_url):
    await _migrate(upgrade, fresh_database_url)
    assert await _inspect(fresh_database_url, reflected_schema) == expected_schema()


@pytest.mark.filterwarnings(SKIPPED_EXPRESSION_INDEX)
async def test_downgrade_to_base_leaves_nothing_and_upgrade_rebuilds_it(fresh_database_url):
    await _migrate(upgrade, fresh_database_url)
    await _migrate(downgrade, fresh_database_url, "base")
    assert await _inspect(fresh_database_url, leftovers) == {
        "tables": [], "versions": [],
        **({"enums": [], "sequences": []} if fresh_database_url.startswith("postgresql") else {}),
    }
    await _migrate(upgrade, fresh_database_url)
    assert await _inspect(fresh_database_url, reflected_schema) == expected_schema()


@pytest.mark.filterwarnings("ignore")
async def test_migrated_schema_matches_the_models_column_types(database):
    """Alembic's own comparison, on the shared test database: column types and anything else it knows."""

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with database.engine.connect() as connection:
        changes = await connection.run_sync(diff)
    # Expression indexes cannot be reflected on every backend (they are compared above); the rest must match.
    assert [change for change in changes if not _is_expression_index(change)] == []


_EXPRESSION_INDEXES = {
    index.name
    for table in SQLModel.metadata.tables.values()
    for index in table.indexes
    if any(not isinstance(expression, Column) for expression in index.expressions)
}


def _is_expression_index(change) -> bool:
    return change[0] in {"add_index", "remove_index"} and change[1].name in _EXPRESSION_INDEXES
