"""`/metrics` in Prometheus text format: GraphQL operations by name and outcome, HTTP requests, the
database pool, sign-in failures; optional bearer token; off by a setting."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import metrics
from api.settings import Settings


async def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    response = await client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def operations(samples, operation: str, outcome: str) -> float:
    key = ("usergraph_graphql_operations_total", (("operation", operation), ("outcome", outcome)))
    return samples.get(key, 0.0)


def latency_count(samples, operation: str, outcome: str) -> float:
    key = ("usergraph_graphql_request_duration_seconds_count", (("operation", operation), ("outcome", outcome)))
    return samples.get(key, 0.0)


async def test_operation_counters_and_latency_move_with_requests(client):
    before = await scrape(client)
    for _ in range(3):
        await client.post("/graphql", json={"query": "query MetricsProbe { __typename }"})
    await client.post("/graphql", json={"query": "query MetricsProbe { nope }"})
    after = await scrape(client)
    assert operations(after, "MetricsProbe", "ok") - operations(before, "MetricsProbe", "ok") == 3
    assert operations(after, "MetricsProbe", "error") - operations(before, "MetricsProbe", "error") == 1
    assert latency_count(after, "MetricsProbe", "ok") - latency_count(before, "MetricsProbe", "ok") == 3


async def test_unnamed_and_malformed_operation_names_get_fixed_labels(client):
    before = await scrape(client)
    await client.post("/graphql", json={"query": "{ __typename }"})
    await client.post("/graphql", json={"query": "{ __typename }", "operationName": "x\ny" * 50})
    after = await scrape(client)
    assert operations(after, "anonymous", "ok") - operations(before, "anonymous", "ok") == 1
    assert operations(after, "invalid", "error") - operations(before, "invalid", "error") == 1


def test_the_number_of_operation_labels_is_capped(monkeypatch):
    monkeypatch.setattr(metrics, "_operation_labels", set())
    labels = {metrics.operation_label(f"Op{n}") for n in range(metrics.MAX_OPERATION_LABELS + 50)}
    assert len(labels) == metrics.MAX_OPERATION_LABELS + 1 and "other" in labels
    assert metrics.operation_label("Op0") == "Op0"  # names seen before the cap keep their label


async def test_http_requests_are_counted_by_route_and_status(client):
    key = ("usergraph_http_requests_total", (("route", "/health"), ("status", "200")))
    other = ("usergraph_http_requests_total", (("route", "other"), ("status", "404")))
    before = await scrape(client)
    await client.get("/health")
    await client.get("/no/such/page/12345")
    after = await scrape(client)
    assert after[key] - before.get(key, 0) == 1
    assert after[other] - before.get(other, 0) == 1


async def test_the_pool_gauge_counts_connections_in_use(client):
    gauge = ("usergraph_db_pool_connections_in_use", ())
    idle = (await scrape(client))[gauge]
    async with client.app.state.database.engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")
        assert (await scrape(client))[gauge] == idle + 1
    assert (await scrape(client))[gauge] == idle


async def test_sign_in_failures_and_rate_limit_hits_are_exposed(client):
    failures = ("usergraph_sign_in_failures_total", (("reason", "invalid_credentials"),))
    hits = ("usergraph_rate_limit_hits_total", ())
    before = await scrape(client)
    metrics.record_sign_in_failure()
    metrics.record_sign_in_failure("INVALID_CREDENTIALS")
    metrics.record_rate_limit_hit()
    after = await scrape(client)
    assert after[failures] - before.get(failures, 0) == 2
    assert after[hits] - before[hits] == 1


async def test_metrics_can_be_turned_off(make_client):
    async with make_client(metrics_enabled=False) as client:
        assert (await client.get("/metrics")).status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic s3cret-token", "Bearer "])
async def test_a_metrics_token_refuses_scrapes_without_it(make_client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    async with make_client(metrics_token="s3cret-token") as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "usergraph_" not in response.text


async def test_a_metrics_token_admits_scrapes_with_it(make_client):
    async with make_client(metrics_token="s3cret-token") as client:
        samples = await scrape(client, headers={"Authorization": "Bearer s3cret-token"})
    assert ("usergraph_rate_limit_hits_total", ()) in samples


async def test_in_production_metrics_on_the_api_port_need_the_token(make_client):
    async with make_client(environment="production") as client:
        assert (await client.get("/metrics")).status_code == 404
    async with make_client(environment="production", metrics_token="s3cret-token") as client:
        assert (await client.get("/metrics")).status_code == 401
        samples = await scrape(client, headers={"Authorization": "Bearer s3cret-token"})
    assert ("usergraph_rate_limit_hits_total", ()) in samples


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_a_metrics_port_takes_metrics_off_the_api_port(make_client, environment):
    async with make_client(environment=environment, metrics_port=9999, metrics_token="s3cret-token") as client:
        response = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 404


def test_metrics_are_on_and_open_by_default():
    settings = Settings()
    assert settings.metrics_enabled is True and settings.metrics_token is None and settings.metrics_port is None
    assert Settings(metrics_token="").metrics_token is None


async def test_refused_sign_ins_move_the_counters(make_client):
    failures = ("usergraph_sign_in_failures_total", (("reason", "invalid_credentials"),))
    hits = ("usergraph_rate_limit_hits_total", ())
    sign_in = 'mutation { signIn(input: {email: "nobody@example.com", password: "wrong-password-1"}) { errors { code } } }'
    async with make_client(sign_in_max_failures_per_email=2) as client:
        before = await scrape(client)
        codes = [(await client.gql(sign_in))["data"]["signIn"]["errors"][0]["code"] for _ in range(3)]
        after = await scrape(client)
    assert codes == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]
    assert after[failures] - before.get(failures, 0) == 2
    assert after[hits] - before.get(hits, 0) == 1
