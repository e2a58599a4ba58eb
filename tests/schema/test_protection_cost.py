"""A document whose cost (the objects it could return, lists multiplied by their page size or number of
IDs) exceeds MAX_QUERY_COST is refused before execution with QUERY_TOO_COMPLEX, its cost and the budget;
the default admits the documented nested query and refuses the issue's attack documents."""

from __future__ import annotations

import pytest

from schema.relay import to_global_id
from tests.support.factories import make_session, signed_in_admin

GRAPHQL_RESPONSE = "application/graphql-response+json"
NESTED = "{ users(first: 100) { edges { node { sessions(first: 5) { edges { node { user { email } } } } } } } }"
SESSIONS_100 = "sessions(first: 100) { edges { node { id } } }"
# (a) one ID a hundred times, each with aliased pages of 100 sessions.
NODES_ATTACK = """query ($ids: [ID!]!) { nodes(ids: $ids) { ... on User { a: %s b: %s c: %s } } }""" % (
    (SESSIONS_100,) * 3
)
# (b) aliased pages of 100 users and their sessions, going round through Session.user (10 levels deep).
NESTED_ATTACK = "{ %s }" % " ".join(
    f"u{i}: users(first: 100) {{ edges {{ node {{ sessions(first: 100) {{ edges {{ node {{ user {{ "
    f"sessions(first: 100) {{ edges {{ cursor }} }} }} }} }} }} }} }} }}"
    for i in range(3)
)


@pytest.fixture
async def admin(database):
    """An admin with a second session, and its token."""
    user, token = await signed_in_admin(database, email="ada@example.com")
    await make_session(database, user)
    return user, token


def _refusal(body: dict) -> dict:
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error["extensions"]


async def test_the_documented_nested_query_runs_under_the_default_budget(client, admin):
    body = await client.gql(NESTED, token=admin[1])
    assert "errors" not in body, body
    [edge] = body["data"]["users"]["edges"]
    assert len(edge["node"]["sessions"]["edges"]) == 2


@pytest.mark.parametrize("fast_path", [True, False], ids=["direct", "standard"])
@pytest.mark.parametrize(
    ("query", "variables"),
    [(NODES_ATTACK, "ids"), (NESTED_ATTACK, None)],
    ids=["nodes-with-one-id-repeated", "aliased-nested-pages"],
)
async def test_the_attack_documents_are_refused_before_execution(make_client, admin, fast_path, query, variables):
    user, token = admin
    if variables:
        variables = {"ids": [to_global_id("User", user.id)] * 100}
    async with make_client(graphql_fast_path=fast_path) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE},
        )
        assert response.status_code == 400
        extensions = _refusal(response.json())
        assert extensions["budget"] == 10_000 and extensions["cost"] > 10_000
        assert client.app.state.graphql.schema.direct_runs == 0


# Each document's cost as the rules count it, read back from a budget of 1 (which refuses them all).
COSTS = [
    ("{ viewer { id email } }", None, 1),  # one object
    ("{ viewer { id } me: viewer { id } }", None, 2),  # aliases count each
    ('{ user(id: "x") { id } node(id: "y") { id } }', None, 2),
    ("{ users { totalCount } }", None, 1),  # the connection alone; scalars are free
    ("{ users { pageInfo { endCursor } edges { cursor } } }", None, 1 + 1 + 20),  # default page: 20 edges
    ("{ users(first: 3) { edges { node { id } } } }", None, 1 + 3 * 2),
    ("{ users(last: 4) { edges { node { id } } } }", None, 1 + 4 * 2),
    ("{ viewer { sessions { edges { node { user { id } } } } } }", None, 1 + 1 + 20 * 3),  # Session.user
    (NESTED, None, 1 + 100 * (2 + 1 + 5 * 3)),  # the contract's query: 1,801
    ("{ ...F ...F } fragment F on Query { users(first: 2) { edges { node { id } } } }", None, 2 * (1 + 2 * 2)),
    ("{ users(first: 2) { ... on UserConnection { edges { node { id } } } } }", None, 1 + 2 * 2),
    ("{ users(first: 2) { ...E } } fragment E on UserConnection { edges { node { ...N } } }"
     " fragment N on User { sessions(first: 3) { edges { node { id } } } }", None, 1 + 2 * (2 + 1 + 3 * 2)),
    ('{ nodes(ids: ["a", "a", "b"]) { id ... on User { email } } }', None, 3),  # duplicates count
    ("query ($n: Int!) { users(first: $n) { edges { node { id } } } }", {"n": 50}, 1 + 50 * 2),
    ("query ($n: Int = 7) { users(first: $n) { edges { node { id } } } }", {}, 1 + 7 * 2),
    ("query ($n: Int) { users(first: $n) { edges { node { id } } } }", {"n": None}, 1 + 20 * 2),
    ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 7}, 7),
    ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": "a"}, 1),  # coerced to a list of one
    ("query ($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { ... on User { sessions(first: $n) { edges { node { id } } } } } }",
     {"ids": ["a", "b"], "n": 4}, 2 * (1 + 1 + 4 * 2)),
    ("query ($n: Int) { ...F ...F } fragment F on Query { users(first: $n) { edges { node { id } } } }",
     {"n": 5}, 2 * (1 + 5 * 2)),
    ('mutation { signIn(input: {email: "a@b.io", password: "p"}) { user { id } errors { code } } }', None,
     1 + 1 + 100),  # a list nothing sizes counts as a full page
    ("{ __schema { types { fields { name } } } users(first: 1) { totalCount } }", None, 1),  # introspection is free
]


@pytest.mark.parametrize("fast_path", [True, False], ids=["direct", "standard"])
async def test_cost_counts_objects_through_nesting_aliases_fragments_and_variables(make_client, admin, fast_path):
    async with make_client(graphql_fast_path=fast_path, max_query_cost=1) as client:
        for query, variables, expected in COSTS:
            body = await client.gql(query, variables, token=admin[1])
            if expected <= 1:
                assert not any(
                    error["extensions"]["code"] == "QUERY_TOO_COMPLEX" for error in body.get("errors", [])
                ), (query, body)
            else:
                assert _refusal(body) == {"code": "QUERY_TOO_COMPLEX", "cost": expected, "budget": 1}, query


async def test_variables_that_size_lists_are_read_per_request_from_a_formula_compiled_once(client, admin):
    query = "query ($n: Int!) { users(first: $n) { edges { node { sessions(first: $n) { edges { node { id } } } } } } }"
    checks = client.app.state.graphql.schema.checks
    misses = checks.costs.cache_info().misses
    for n, refused in ((5, False), (100, True), (60, False), (71, True)):  # 1 + n(3 + 2n): 60 -> 7,381, 71 -> 10,296
        body = await client.gql(query, {"n": n}, token=admin[1])
        if refused:
            assert _refusal(body)["cost"] == 1 + n * (3 + 2 * n)
        else:
            assert "errors" not in body, body
    assert checks.costs.cache_info().misses == misses + 1


@pytest.mark.parametrize(
    "variables",
    [{"n": "many"}, {"n": 2**40}, {"n": True}, {"n": [100]}, {}],
    ids=["string", "too-large", "boolean", "list", "missing"],
)
async def test_variables_that_do_not_coerce_get_the_usual_error(client, admin, variables):
    query = "query ($n: Int!) { users(first: $n) { edges { node { id } } } }"
    body = await client.gql(query, variables, token=admin[1])
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


async def test_the_budget_is_a_setting(make_client, admin):
    async with make_client(max_query_cost=1_000) as client:
        assert _refusal(await client.gql(NESTED, token=admin[1])) == {
            "code": "QUERY_TOO_COMPLEX", "cost": 1_801, "budget": 1_000,
        }


async def test_nodes_answers_every_position_of_repeated_ids_in_order(client, admin):
    user, token = admin
    me, nobody = to_global_id("User", user.id), to_global_id("Session", user.id)
    body = await client.gql(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [me, nobody, me, me]}, token=token
    )
    assert body == {"data": {"nodes": [{"id": me}, None, {"id": me}, {"id": me}]}}
