"""Migrations match the models and run down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlmodel import SQLModel

import db.models  # noqa: F401


@pytest.mark.filterwarnings("ignore")
async def test_migrated_schema_matches_the_models(database):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with database.engine.connect() as connection:
        changes = await connection.run_sync(diff)
    # Expression indexes cannot be reflected on every backend; everything else must match.
    assert [change for change in changes if not _is_expression_index(change)] == []


_EXPRESSION_INDEXES = {
    index.name
    for table in SQLModel.metadata.tables.values()
    for index in table.indexes
    if any(not isinstance(expression, Column) for expression in index.expressions)
}


def _is_expression_index(change) -> bool:
    return change[0] in {"add_index", "remove_index"} and change[1].name in _EXPRESSION_INDEXES


def test_round_trip_down_to_base_and_up(requires_postgres, database_url):
    from db.migrations import downgrade, upgrade

    downgrade(database_url, "base")
    upgrade(database_url)
