"""GraphQL over HTTP: status codes and media types per the spec, and GraphQL-shaped refusals (never a
500) for requests that are malformed at the HTTP level."""

from __future__ import annotations

import logging

import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = {"content-type": "application/json"}


def _codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{", None, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query ($on: Boolean!) { __typename @include(if: $on) }", {"on": "yes"}, "BAD_USER_INPUT"),
        ("query ($on: Boolean!) { __typename @include(if: $on) }", {}, "BAD_USER_INPUT"),
    ],
    ids=["parse", "validation", "variable-type", "variable-missing"],
)
async def test_request_errors_are_400_without_data_for_graphql_response_json(client, query, variables, code):
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert _codes(body) == [code]


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_request_errors_are_200_for_application_json(client, accept):
    headers = {"accept": accept} if accept else {}
    response = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert _codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_successful_query_gets_the_media_type_the_client_prefers(client):
    accept = f"application/json;q=0.9, {GRAPHQL_RESPONSE}"
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}

    accept = f"application/json, {GRAPHQL_RESPONSE};q=0.5"
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"null", JSON, 400),
        (b"42", JSON, 400),
        (b'"{ __typename }"', JSON, 400),
        (b"[]", JSON, 400),
        (b"{not json", JSON, 400),
        (b"", JSON, 400),
        (b'{"query": "\xff\xfe"}', JSON, 400),  # invalid UTF-8
        (b'{"query": "\\ud800"}', JSON, 400),  # a lone surrogate
        (b"[" * 5000 + b"]" * 5000, JSON, 400),  # nesting deeper than any parser's stack
        (b'{"query": 5}', JSON, 400),
        (b'{"query": ["{ __typename }"]}', JSON, 400),
        (b'{"query": "{ __typename }", "variables": "x"}', JSON, 400),
        (b'{"query": "{ __typename }", "variables": [1]}', JSON, 400),
        (b'{"query": "{ __typename }", "operationName": 1}', JSON, 400),
        (b'{"query": "{ __typename }", "extensions": 1}', JSON, 400),
        (b'{"notquery": "{ __typename }"}', JSON, 400),
        (b"query=%7B__typename%7D", {"content-type": "application/x-www-form-urlencoded"}, 415),
        (b"{ __typename }", {"content-type": "text/plain"}, 415),
        (b'{"query": "{ __typename }"}', {}, 415),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_malformed_requests_are_refused_with_a_graphql_shaped_body(client, body, headers, status, accept):
    response = await client.post("/graphql", content=body, headers={**headers, "accept": accept})
    assert response.status_code == status
    payload = response.json()
    assert set(payload) == {"errors"}
    assert payload["errors"][0]["message"]
    assert payload["errors"][0]["extensions"]["code"] in {"BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE"}


async def test_malformed_get_variables_are_a_400(client):
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": "{nope"})
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}


async def test_mutation_over_get_is_405_with_allow_header(client):
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_application_graphql_body_is_accepted(client):
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "application/graphql"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_client_syntax_errors_log_no_traceback(client, caplog):
    caplog.set_level(logging.DEBUG)
    for query in ("{", "{ noSuchField }", "query { ...Missing }"):
        await client.post("/graphql", json={"query": query})
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.WARNING]
