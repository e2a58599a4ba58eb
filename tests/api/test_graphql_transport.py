"""The GraphQL endpoint answers queries over POST and GET, refuses mutations over GET before running them,
and serves GraphiQL only where it is switched on. (One transaction per operation: tests/db/test_transactions.py.)"""

from sqlalchemy import func, select

from db.models import User

SIGN_UP = (
    'mutation { signUp(input: {email: "get@example.com", password: "correct horse battery staple", name: "G"})'
    " { errors { code } } }"
)


async def test_typename_over_post(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_query_over_get(client):
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_mutation_over_get_is_refused_and_not_run(client, database):
    response = await client.get("/graphql", params={"query": SIGN_UP})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [{"message": "Mutations must be sent with POST", "extensions": {"code": "METHOD_NOT_ALLOWED"}}]
    }
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_anonymous_viewer_is_null(client):
    assert await client.gql("{ viewer { id email } }") == {"data": {"viewer": None}}


async def test_graphiql_is_served_to_browsers_in_development(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_off_in_production(make_client):
    async with make_client(environment="production") as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": [{"message": "Not Found", "extensions": {"code": "NOT_FOUND"}}]}
