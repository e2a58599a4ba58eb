"""The GraphQL endpoint answers queries over POST and GET and keeps one transaction per operation."""


async def test_typename_over_post(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_query_over_get(client):
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_mutation_over_get_is_refused(client):
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert 400 <= response.status_code < 500


async def test_anonymous_viewer_is_null(client):
    assert await client.gql("{ viewer { id email } }") == {"data": {"viewer": None}}


async def test_graphiql_is_served_to_browsers_in_development(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_off_in_production(make_client):
    async with make_client(environment="production") as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code != 200 or "graphiql" not in response.text.lower()
