"""Hostile documents (too deep, too many aliases, too many tokens) are refused before execution with
GRAPHQL_VALIDATION_FAILED; the checks run once per distinct document; introspection and "Did you mean"
suggestions can be turned off."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query

from schema.validation import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS


def _nested_introspection(levels: int) -> str:
    """An introspection query exactly `levels` fields deep, alternating args/type/fields so that
    graphql-core's MaxIntrospectionDepthRule (which bounds `fields` nesting) stays quiet."""
    chain = ["__schema", "directives"] + ["args", "type", "fields"] * levels
    names = chain[: levels - 1] + ["name"]
    return "{ " + " { ".join(names) + " }" * (levels - 1) + " }"


def _refused(body: dict) -> list[str]:
    assert "data" not in body, body
    return [error["message"] for error in body["errors"] if error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"]


async def test_a_document_at_the_depth_limit_runs(client):
    body = await client.gql(_nested_introspection(MAX_DEPTH))
    assert "errors" not in body and body["data"]["__schema"]


async def test_a_document_past_the_depth_limit_is_refused(client):
    messages = _refused(await client.gql(_nested_introspection(MAX_DEPTH + 1)))
    assert any(f"deeper than {MAX_DEPTH}" in message for message in messages)


async def test_depth_counts_through_fragments(client):
    query = _nested_introspection(MAX_DEPTH + 1).replace("{ __schema {", "{ ...F } fragment F on Query { __schema {", 1)
    messages = _refused(await client.gql(query))
    assert any(f"deeper than {MAX_DEPTH}" in message for message in messages)


async def test_graphiql_introspection_query_is_not_refused(client):
    body = await client.gql(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


async def test_aliases_up_to_the_limit_run(client):
    body = await client.gql(_aliases(MAX_ALIASES))
    assert body == {"data": {f"a{i}": "Query" for i in range(MAX_ALIASES)}}


async def test_too_many_aliases_are_refused_also_inside_fragments(client):
    messages = _refused(await client.gql(_aliases(MAX_ALIASES + 1)))
    assert any("aliases" in message for message in messages)
    half = MAX_ALIASES // 2 + 1
    query = (
        "{ ...A ...B } fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(half)) + " }"
        " fragment B on Query { " + " ".join(f"b{i}: __typename" for i in range(half)) + " }"
    )
    assert any("aliases" in message for message in _refused(await client.gql(query)))


async def test_a_document_within_the_token_limit_runs(client):
    # 8 tokens a field; graphql-core's overlap check gives up on ~900 fields of one name, so few fields.
    fields = (MAX_TOKENS - 10) // 8
    body = await client.gql("{ " + "__typename @include(if: true) " * fields + "}")
    assert body == {"data": {"__typename": "Query"}}


async def test_too_many_tokens_are_refused(client):
    messages = _refused(await client.gql("{ " + "__typename " * (MAX_TOKENS + 1) + "}"))
    assert any(str(MAX_TOKENS) in message for message in messages)


async def test_absurd_nesting_is_refused_as_a_limit_not_a_crash(client):
    response = await client.post("/graphql", json={"query": "{" + "a{" * 3000 + "b" + "}" * 3001})
    assert response.status_code == 200
    assert _refused(response.json())


async def test_a_repeated_document_is_parsed_and_validated_once(client):
    checks = client.app.state.graphql.schema.checks
    query = "query RepeatedForTheCacheTest { __typename viewer { id } }"
    parsed, validated, hits = checks.parsed.cache_info().misses, checks.validated.cache_info().misses, checks.validated.cache_info().hits
    for _ in range(5):
        assert await client.gql(query) == {"data": {"__typename": "Query", "viewer": None}}
    assert checks.parsed.cache_info().misses == parsed + 1
    assert checks.validated.cache_info().misses == validated + 1
    assert checks.validated.cache_info().hits == hits + 4
    # A refused document is cached as refused, too.
    for _ in range(3):
        _refused(await client.gql(_aliases(MAX_ALIASES + 1)))
    assert checks.validated.cache_info().misses == validated + 2


async def test_the_validation_rules_are_built_once(make_client):
    async with make_client() as first, make_client() as second:
        rules = first.app.state.graphql.schema.checks.rules
        await first.gql("{ __typename }")
        assert first.app.state.graphql.schema.checks.rules is rules
        # Every app builds the same rule classes: nothing is created per request or per app.
        assert second.app.state.graphql.schema.checks.rules == rules


@pytest.mark.parametrize("overrides", [{"introspection": False}, {"environment": "production"}])
async def test_introspection_and_suggestions_can_be_turned_off(make_client, overrides):
    async with make_client(**overrides) as client:
        for query in ("{ __schema { queryType { name } } }", '{ __type(name: "User") { name } }'):
            assert _refused(await client.gql(query))
        messages = _refused(await client.gql("{ viewr }"))
        assert messages and not any("Did you mean" in message for message in messages)
        assert await client.gql("{ __typename }") == {"data": {"__typename": "Query"}}


async def test_introspection_and_suggestions_are_on_in_development(client):
    messages = _refused(await client.gql("{ viewr }"))
    assert any("Did you mean 'viewer'" in message for message in messages)
