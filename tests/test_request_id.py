"""Every response carries an X-Request-ID, the client's own when it sent a sane one."""


async def test_response_has_a_generated_request_id(client):
    response = await client.get("/health")
    assert len(response.headers["x-request-id"]) >= 16


async def test_client_request_id_is_echoed(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_unsafe_request_id_is_replaced(client):
    response = await client.get("/health", headers={"X-Request-ID": "evil\\r\\nheader" + "x" * 200})
    assert response.headers["x-request-id"] != "evil"
    assert "\\n" not in response.headers["x-request-id"] and len(response.headers["x-request-id"]) <= 128
