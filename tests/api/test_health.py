"""/health reports whether the database answers, quickly, even when it does not."""

import asyncio
import time

from tests.support.client import app_client


async def test_health_is_200_when_the_database_answers(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "database": "ok"}


async def test_health_is_503_when_the_database_refuses(settings):
    # Nothing listens on port 1 of the loopback: connections are refused at once.
    broken = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/none"})
    async with app_client(broken) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["database"]


async def test_health_is_503_within_the_timeout_when_the_database_hangs(settings):
    # A server that accepts connections and never says a word, like a host behind a dead link.
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hanging = settings.model_copy(
        update={"database_url": f"postgresql://postgres@127.0.0.1:{port}/none", "health_timeout": 0.5}
    )
    try:
        async with app_client(hanging) as client:
            started = time.monotonic()
            response = await client.get("/health")
            elapsed = time.monotonic() - started
    finally:
        server.close()
    assert response.status_code == 503
    assert "no answer" in response.json()["database"]
    # Generous bound: the promise is "does not hang", not a latency target.
    assert elapsed < 10
