"""The committed `schema.graphql` is the schema the code builds, and it describes DateTime as the
contract does."""

from pathlib import Path

from graphql import build_schema as parse_sdl

from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_up_to_date():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `uv run usergraph export-schema --output schema.graphql`"
    )


def test_datetime_scalar_is_described_as_in_the_contract():
    scalar = parse_sdl((ROOT / "schema.graphql").read_text()).get_type("DateTime")
    assert scalar.description == "ISO-8601 date-time with an explicit UTC offset, e.g. 2026-11-24T10:00:00+00:00."
