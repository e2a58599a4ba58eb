"""Unexpected failures reach the client as INTERNAL_SERVER_ERROR with a generic message and the
request ID; the log has the detail. Deliberate errors are not masked; DEBUG shows the detail."""

from __future__ import annotations

import logging

import pytest

UNREACHABLE = {"database_url": "postgresql://postgres@127.0.0.1:1/none", "connect_timeout": 1.0}
# Any token makes `viewer` look its session up in the database, which is unreachable here.
TOKEN = "x" * 43


async def test_unexpected_failure_is_masked_and_carries_the_request_id(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    async with make_client(**UNREACHABLE) as client:
        response = await client.post(
            "/graphql", json={"query": "{ viewer { id } }"},
            headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "req-mask-1"},
        )
    assert response.status_code == 200
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-mask-1"}
    assert response.headers["x-request-id"] == "req-mask-1"
    text = response.text
    for leak in ("Traceback", "File \"", "127.0.0.1:1", "Connect", "SELECT", "OSError"):
        assert leak not in text
    logged = [record for record in caplog.records if record.exc_info and "req-mask-1" in record.getMessage()]
    assert logged, "the log must keep the detail, with the request ID"


async def test_debug_shows_the_detail(make_client):
    async with make_client(**UNREACHABLE, debug=True) as client:
        body = await client.gql("{ viewer { id } }", token=TOKEN)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"] != "Internal server error"
    assert error["extensions"]["exception"]["stacktrace"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"), ("{", "GRAPHQL_PARSE_FAILED")],
)
async def test_client_errors_keep_their_message(client, query, code):
    body = await client.gql(query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["message"] != "Internal server error"
    assert "requestId" not in error["extensions"]


def test_coded_errors_are_not_masked():
    from graphql import GraphQLError, located_error

    from schema.errors import Forbidden, format_error

    raised = located_error(Forbidden(), path=["users"])
    formatted = format_error(raised, debug=False, request_id="r")
    assert formatted["extensions"] == {"code": "FORBIDDEN"}
    assert formatted["message"] == Forbidden.default_message
    crashed = located_error(KeyError("secret detail"), path=["users"])
    formatted = format_error(crashed, debug=False, request_id="r")
    assert formatted["message"] == "Internal server error" and "secret" not in str(formatted)
    plain = located_error(GraphQLError("Deliberate message"), path=["users"])
    assert format_error(plain, debug=False, request_id="r")["message"] == "Deliberate message"
