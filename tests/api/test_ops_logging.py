"""Structured logs: one access line per request with request ID, operation, outcome, user, status and
duration; JSON in production, text in development; no second line from uvicorn."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest

from api.logging import JsonFormatter, TextFormatter, logging_config
from api.settings import Settings
from tests.support.server import running_server
from tests.schema.test_viewer_token import make_session


@pytest.fixture
def access_lines(caplog):
    """The access log lines of the test so far, rendered by the production JSON formatter."""
    caplog.set_level(logging.INFO, logger="usergraph.access")
    formatter = JsonFormatter()

    def lines() -> list[dict]:
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "usergraph.access"]

    return lines


async def test_a_graphql_request_gets_one_json_access_line_with_its_operation(client, access_lines):
    response = await client.post(
        "/graphql", json={"query": "query Probe { __typename }"}, headers={"X-Request-ID": "req-ok-1"}
    )
    [line] = [line for line in access_lines() if line["request_id"] == "req-ok-1"]
    assert response.status_code == 200
    assert line["logger"] == "usergraph.access" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert (line["operation"], line["outcome"], line["user_id"]) == ("Probe", "ok", None)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert isinstance(line["pid"], int) and line["time"].endswith("+00:00")


async def test_a_failed_operation_is_logged_as_an_error_and_an_unnamed_one_as_anonymous(client, access_lines):
    await client.post("/graphql", json={"query": "{ noSuchField }"}, headers={"X-Request-ID": "req-bad-1"})
    [line] = [line for line in access_lines() if line["request_id"] == "req-bad-1"]
    assert (line["status"], line["operation"], line["outcome"]) == (200, "anonymous", "error")


async def test_the_viewer_user_id_is_logged_when_the_operation_authenticated(client, database, access_lines):
    user, _, token = await make_session(database)
    await client.post(
        "/graphql", json={"query": "query Me { viewer { email } }"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-user-1"},
    )
    [line] = [line for line in access_lines() if line["request_id"] == "req-user-1"]
    assert (line["operation"], line["outcome"], line["user_id"]) == ("Me", "ok", str(user.id))


async def test_non_graphql_requests_are_logged_without_operation_fields(client, access_lines):
    await client.get("/health", headers={"X-Request-ID": "req-health-1"})
    [line] = [line for line in access_lines() if line["request_id"] == "req-health-1"]
    assert (line["path"], line["status"]) == ("/health", 200)
    assert "operation" not in line and "outcome" not in line


async def test_the_query_string_is_not_logged(client, access_lines):
    # GET /graphql carries the document and its variables in the query string.
    await client.get("/graphql", params={"query": "{ __typename }", "variables": '{"password": "hunter2"}'},
                     headers={"X-Request-ID": "req-get-1"})
    [line] = [line for line in access_lines() if line["request_id"] == "req-get-1"]
    assert line["path"] == "/graphql" and "hunter2" not in json.dumps(line)


async def test_any_line_logged_during_a_request_carries_its_id(make_client):
    # A handler formats at emit time, while the request's context variable is set.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("usergraph.debug")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        async with make_client(test_endpoints=True) as client:
            await client.get("/debug/sleep", params={"seconds": 0}, headers={"X-Request-ID": "req-inner-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert (line["message"], line["request_id"], line["seconds"]) == ("debug sleep started", "req-inner-1", 0)


def test_log_format_defaults_to_text_in_development_and_json_in_production():
    assert Settings(environment="development").resolved_log_format == "text"
    assert Settings(environment="production").resolved_log_format == "json"
    assert Settings(environment="production", log_format="text").resolved_log_format == "text"
    assert Settings(environment="development", log_format="json").resolved_log_format == "json"
    assert Settings(log_level="warning").log_level == "WARNING"


def test_the_configured_formatter_follows_the_setting():
    def formatter_of(settings: Settings) -> str:
        return logging_config(settings)["formatters"]["usergraph"]["()"]

    assert formatter_of(Settings(log_format="json")).endswith(JsonFormatter.__qualname__)
    assert formatter_of(Settings(log_format="text")).endswith(TextFormatter.__qualname__)


def test_the_real_server_logs_json_lines_and_one_access_line_per_request(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/log.db", "LOG_FORMAT": "json"}
    with running_server(env, tmp_path=tmp_path) as server:
        reply = httpx.post(
            f"{server.base_url}/graphql", json={"query": "query Served { __typename }"},
            headers={"X-Request-ID": "served-1"}, timeout=5,
        )
        assert reply.status_code == 200
    lines = [json.loads(text) for text in server.log().splitlines() if text.strip()]  # every line is JSON
    mentioning = [line for line in lines if "served-1" in json.dumps(line)]
    assert len(mentioning) == 1, mentioning  # ours only: uvicorn's access log is off
    [line] = mentioning
    assert line["logger"] == "usergraph.access"
    assert (line["request_id"], line["operation"], line["outcome"], line["status"]) == ("served-1", "Served", "ok", 200)
    assert {"time", "level", "message", "pid", "duration_ms", "method", "path"} <= line.keys()


def test_the_real_server_logs_readable_text_by_default_in_development(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/log.db", "ENVIRONMENT": "development"}
    with running_server(env, tmp_path=tmp_path) as server:
        httpx.get(f"{server.base_url}/health", headers={"X-Request-ID": "text-1"}, timeout=5)
    [line] = [text for text in server.log().splitlines() if "text-1" in text]
    assert "usergraph.access [text-1] GET /health 200" in line


def test_the_json_formatter_writes_what_orjson_refuses_too():
    record = logging.makeLogRecord({"name": "usergraph.test", "levelno": logging.INFO, "levelname": "INFO",
                                    "msg": "big", "huge": 2**70, "keyed": {1: "one"}})
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["message"], entry["huge"], entry["keyed"]) == ("big", 2**70, {"1": "one"})
