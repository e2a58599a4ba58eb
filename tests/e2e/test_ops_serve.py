"""`usergraph serve` in production shape: several workers behind one port that migrate once and share
metrics, and a SIGTERM that lets in-flight requests finish."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.settings import Settings
from tests.support.server import free_port, running_server

WAIT = 60.0  # seconds before a test gives up waiting for something it expects to happen


def json_lines(server) -> list[dict]:
    return [json.loads(text) for text in server.log().splitlines() if text.startswith("{")]


def get_fresh(url: str) -> httpx.Response:
    # A new connection each time, so that the kernel may hand it to either worker.
    with httpx.Client(timeout=10) as client:
        return client.post(url, json={"query": "query WorkerProbe { __typename }"})


def test_two_workers_both_answer_migrate_once_and_share_metrics(tmp_path, fresh_database_url):
    env = {"DATABASE_URL": fresh_database_url, "LOG_FORMAT": "json"}
    with running_server(env, "--workers", "2", tmp_path=tmp_path) as server:
        sent = 0
        deadline = time.monotonic() + WAIT
        with ThreadPoolExecutor(8) as pool:
            while time.monotonic() < deadline:
                replies = list(pool.map(get_fresh, [f"{server.base_url}/graphql"] * 16))
                assert all(reply.json() == {"data": {"__typename": "Query"}} for reply in replies)
                sent += len(replies)
                access = [line for line in json_lines(server) if line.get("operation") == "WorkerProbe"]
                if len({line["pid"] for line in access}) == 2:
                    break
        scraped = httpx.get(f"{server.base_url}/metrics", timeout=10).text
        parent = server.process.pid

    lines = json_lines(server)
    worker_pids = {line["pid"] for line in lines if line.get("operation") == "WorkerProbe"}
    assert len(worker_pids) == 2 and parent not in worker_pids
    # Migrations ran once, in the parent, before any worker started.
    migrations = [i for i, line in enumerate(lines) if line["message"].startswith("Running upgrade")]
    first_worker = min(i for i, line in enumerate(lines) if line["message"].startswith("Started server process"))
    applied = [lines[i]["message"] for i in migrations]
    assert migrations and len(applied) == len(set(applied)), "each migration runs exactly once"
    assert all(lines[i]["pid"] == parent and i < first_worker for i in migrations)
    # Whichever worker answered /metrics counted the requests of both.
    [counted] = [
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "usergraph_graphql_operations_total" and sample.labels["operation"] == "WorkerProbe"
    ]
    assert counted == sent


@pytest.mark.parametrize(("workers", "token"), [("1", None), ("2", "s3cret-token")])
def test_in_production_metrics_port_serves_what_every_worker_counted(tmp_path, database_url, workers, token):
    metrics_port = free_port()
    env = {"DATABASE_URL": database_url, "ENVIRONMENT": "production", "METRICS_PORT": str(metrics_port)}
    if token:
        env["METRICS_TOKEN"] = token
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    with running_server(env, "--workers", workers, "--no-migrate", tmp_path=tmp_path) as server:
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(get_fresh, [f"{server.base_url}/graphql"] * 12))
        assert all(reply.json() == {"data": {"__typename": "Query"}} for reply in replies)
        on_api_port = httpx.get(f"{server.base_url}/metrics", headers=auth, timeout=10)
        scraped = httpx.get(metrics_url, headers=auth, timeout=10)
        unauthorized = httpx.get(metrics_url, timeout=10)
        elsewhere = httpx.get(f"http://127.0.0.1:{metrics_port}/graphql", headers=auth, timeout=10)

    assert on_api_port.status_code == 404
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    [counted] = [
        sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "usergraph_graphql_operations_total" and sample.labels["operation"] == "WorkerProbe"
    ]
    assert counted == len(replies)
    assert unauthorized.status_code == (401 if token else 200)
    assert elsewhere.status_code == 404


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_an_in_flight_request_finish(tmp_path, database_url, workers):
    url = database_url if database_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path}/drain.db"
    env = {"DATABASE_URL": url, "LOG_FORMAT": "json", "TEST_ENDPOINTS": "true"}
    with running_server(env, "--workers", workers, "--no-migrate", tmp_path=tmp_path) as server:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(
                httpx.get, f"{server.base_url}/debug/sleep", params={"seconds": 4},
                headers={"X-Request-ID": "in-flight-1"}, timeout=WAIT,
            )
            _wait_for(server, lambda line: line["message"] == "debug sleep started")
            server.process.send_signal(signal.SIGTERM)
            reply = slow.result()
        # A single uvicorn server re-raises the SIGTERM after its clean shutdown; the supervisor of
        # several workers exits 0. Both are a normal stop for a process manager.
        assert server.process.wait(timeout=WAIT) in (0, -signal.SIGTERM)

    assert reply.status_code == 200 and reply.json() == {"slept": 4}
    lines = json_lines(server)
    shutting_down = min(i for i, line in enumerate(lines) if line["message"] == "Shutting down")
    finished = [i for i, line in enumerate(lines) if line.get("request_id") == "in-flight-1" and "status" in line]
    assert finished and shutting_down < finished[0]  # the request was still running when shutdown began
    assert any(line["message"] == "Application shutdown complete." for line in lines[finished[0]:])


def _wait_for(server, predicate) -> None:
    deadline = time.monotonic() + WAIT
    while not any(predicate(line) for line in json_lines(server)):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)


def test_test_endpoints_are_off_by_default():
    assert Settings().test_endpoints is False


async def test_the_debug_route_exists_only_when_asked_for_and_never_in_production(client, make_client):
    assert (await client.get("/debug/sleep", params={"seconds": 0})).status_code == 404
    async with make_client(test_endpoints=True) as enabled:
        assert (await enabled.get("/debug/sleep", params={"seconds": 0})).json() == {"slept": 0}
    async with make_client(test_endpoints=True, environment="production") as production:
        assert (await production.get("/debug/sleep", params={"seconds": 0})).status_code == 404
