"""The leaf-field fast path (schema/execution/fastpath.py) answers exactly like the standard executor: the same
documents, as an admin over data with nulls, revoked sessions and several users, sent to one app with
it and one without, give identical bodies (data, errors, paths and locations)."""

from __future__ import annotations

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from schema import build_schema
from schema.execution.fastpath import PLAIN_LEAF
from tests.support.factories import make_session, make_user, signed_in_admin

SDL = build_schema().as_str()
SCALARS = {
    "DateTime": st.datetimes().map(lambda moment: graphql.StringValueNode(value=moment.isoformat() + "Z")),
}
USER_FIELDS = "__typename id email name image emailVerified role isActive createdAt updatedAt lastSignInAt"
SESSION_FIELDS = "__typename id createdAt updatedAt expiresAt revokedAt ipAddress userAgent status isCurrent"
WRITTEN = [
    f"{{ viewer {{ {USER_FIELDS} sessions(status: null) {{ edges {{ cursor node {{ {SESSION_FIELDS} }} }} }} }} }}",
    f"""query Users {{ users(first: 10, orderBy: {{field: EMAIL}}) {{ totalCount
        pageInfo {{ startCursor endCursor hasNextPage hasPreviousPage }}
        edges {{ cursor node {{ {USER_FIELDS} alias: email
          sessions(first: 2, status: null) {{ totalCount pageInfo {{ startCursor endCursor hasNextPage }}
            edges {{ cursor node {{ {SESSION_FIELDS} user {{ id email }} }} }} }} }} }} }} }}""",
    "{ users(first: 3) { edges { node { ... on Node { id } ... on User { e: email, email } } } } }",
    "fragment F on Session { id status } { viewer { sessions { edges { node { ...F ...F revokedAt } } } } }",
    '{ users(first: 2) { edges { node { id @skip(if: true) email @include(if: false) name } } } }',
    '{ node(id: "nonsense") { id } nodes(ids: []) { id } }',
    "{ users(first: 101) { edges { node { id } } } }",
]
DIFFERENTIAL = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _without_request_ids(body: dict) -> dict:
    for error in body.get("errors", []):
        (error.get("extensions") or {}).pop("requestId", None)
    return body


@pytest.fixture
async def pair(database, make_client):
    """(token, fast client, standard client) over the same data (tables are emptied after each test)."""
    _, token = await signed_in_admin(database, email="ada@example.com")
    bob = await make_user(database, email="bob@example.com", name="Bob", image="https://example.com/b.png")
    await make_session(database, bob)
    await make_session(database, bob, revoked=True)
    await make_user(database, email="cy@example.com", name="Cy", is_active=False)
    async with make_client(graphql_fast_path=True) as fast, make_client(graphql_fast_path=False) as standard:
        yield token, fast, standard


async def _both(pair, query: str) -> dict:
    token, fast, standard = pair
    fast_response = await fast.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
    standard_response = await standard.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert fast_response.status_code == standard_response.status_code
    fast_body, standard_body = (_without_request_ids(r.json()) for r in (fast_response, standard_response))
    assert fast_body == standard_body, query
    return fast_body


def test_leaf_fields_read_off_their_parent_are_marked():
    schema = build_schema()._schema
    marked = {
        (type_name, name)
        for type_name, type_ in schema.type_map.items()
        for name, field in (getattr(type_, "fields", None) or {}).items()
        if PLAIN_LEAF in (field.extensions or {})
    }
    assert {("User", "id"), ("User", "email"), ("Session", "createdAt"), ("Session", "status")} <= marked
    # Resolvers needing `info` or arguments, and object-typed fields, keep the standard path.
    assert not marked & {("Session", "isCurrent"), ("User", "sessions"), ("Session", "user"), ("Query", "viewer")}


@pytest.mark.parametrize("query", WRITTEN)
async def test_written_documents_answer_the_same(pair, query):
    body = await _both(pair, query)
    codes = {error["extensions"]["code"] for error in body.get("errors", [])}
    assert "UNAUTHENTICATED" not in codes and "INTERNAL_SERVER_ERROR" not in codes, body


@DIFFERENTIAL
@given(query=queries(SDL, fields=["viewer", "users", "user", "node", "nodes"], custom_scalars=SCALARS))
async def test_generated_documents_answer_the_same(pair, query):
    await _both(pair, query)
