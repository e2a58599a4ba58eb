"""CORS: which browser origins may call the API with credentials."""

from __future__ import annotations

import pytest

DEV_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:5173", "http://127.0.0.1:5173"]


async def _preflight(client, origin: str):
    return await client.options("/graphql", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    })


@pytest.mark.parametrize("origin", DEV_ORIGINS)
async def test_the_usual_development_servers_pass_the_preflight_by_default(make_client, origin):
    async with make_client(environment="development") as client:
        response = await _preflight(client, origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_other_origins_are_not_admitted_in_development(make_client):
    async with make_client(environment="development") as client:
        response = await _preflight(client, "http://localhost:8080")
    assert "access-control-allow-origin" not in response.headers


async def test_production_admits_no_origin_until_cors_origins_names_it(make_client):
    async with make_client(environment="production") as client:
        refused = await _preflight(client, "http://localhost:3000")
    assert "access-control-allow-origin" not in refused.headers
    async with make_client(environment="production", cors_origins=["https://app.example.com"]) as client:
        admitted = await _preflight(client, "https://app.example.com")
        other = await _preflight(client, "http://localhost:3000")
    assert admitted.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_is_read_as_a_comma_separated_list(monkeypatch):
    from api.settings import Settings

    monkeypatch.setenv("CORS_ORIGINS", "https://a.example.com, https://b.example.com")
    assert Settings().allowed_origins == ["https://a.example.com", "https://b.example.com"]
