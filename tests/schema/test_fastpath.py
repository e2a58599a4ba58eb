"""The executor's shortcuts, direct execution (schema/execution/direct.py) and execution plans
(schema/execution/plan.py), answer exactly like the standard executor: the same
documents, as an admin over data with nulls, revoked sessions and several users, sent to one app with
it and one without, give identical bodies (data, errors, paths and locations)."""

from __future__ import annotations

import graphql
import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from db.services.passwords import hash_password
from schema import build_schema
from schema.execution.executor import FastExecutionContext
from schema.execution.plan import plan_cache
from tests.support.factories import make_session, make_user, make_users, signed_in, signed_in_admin, user_row
from api.policies import password_hashing

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


@pytest.mark.parametrize("query", WRITTEN)
async def test_written_documents_answer_the_same(pair, query):
    body = await _both(pair, query)
    codes = {error["extensions"]["code"] for error in body.get("errors", [])}
    assert "UNAUTHENTICATED" not in codes and "INTERNAL_SERVER_ERROR" not in codes, body


@DIFFERENTIAL
@given(query=queries(SDL, fields=["viewer", "users", "user", "node", "nodes"], custom_scalars=SCALARS))
async def test_generated_documents_answer_the_same(pair, query):
    await _both(pair, query)


# --- execution plans (schema/execution/plan.py) ---------------------------------------------------------

PLANNED = [
    WRITTEN[0],
    WRITTEN[1],
    WRITTEN[2],  # fragments on an interface and on the concrete type, merged
    WRITTEN[3],
    "{ users(first: 100) { edges { node { id email sessions(first: 5) { edges { node { id createdAt } } } } } } }",
    "query { a: viewer { id } b: viewer { ... on User { email } } viewer { sessions(first: 1) { totalCount } } }",
]
GIVING_UP = [
    "{ users(first: 101) { edges { node { id } } } }",
    "{ users(first: 3) { edges { node { email sessions(first: 101) { totalCount } } } } }",
    '{ users(first: 2) { edges { node { id sessions(after: "bogus") { edges { node { id } } } } } } }',
    '{ user(id: "nonsense") { id } }',
]
NOT_PLANNED = [
    WRITTEN[4],  # directives
    '{ node(id: "VXNlcjow") { id } }',
    "{ __schema { queryType { name } } }",
]


def _plans(client):
    return plan_cache(client.app.state.graphql.schema._schema)


async def test_plans_answer_the_queries_they_model(pair):
    _, fast, _ = pair
    before = (_plans(fast).served, _plans(fast).gave_up)
    for query in PLANNED:
        body = await _both(pair, query)
        assert "errors" not in body, body
    assert (_plans(fast).served, _plans(fast).gave_up) == (before[0] + len(PLANNED), before[1])


async def test_plans_give_up_on_errors_and_the_standard_executor_answers(pair):
    _, fast, _ = pair
    before = (_plans(fast).served, _plans(fast).gave_up)
    for query in GIVING_UP:
        body = await _both(pair, query)
        assert body["errors"], body
    assert (_plans(fast).served, _plans(fast).gave_up) == (before[0], before[1] + len(GIVING_UP))


async def test_documents_a_plan_does_not_model_get_none(pair):
    _, fast, _ = pair
    served = _plans(fast).served
    for query in NOT_PLANNED:
        await _both(pair, query)
    assert _plans(fast).served == served
    assert _plans(fast).built == len(NOT_PLANNED)
    assert all(plan is None for _, plan in _plans(fast).plans.values())


async def test_plans_take_arguments_from_variables(pair):
    token, fast, standard = pair
    query = """query Page($n: Int!, $s: SessionStatus, $order: UserOrder) {
        users(first: $n, orderBy: $order) { edges { node { email sessions(status: $s) { totalCount
          edges { node { status } } } } } } }"""
    served = _plans(fast).served
    for variables in (
        {"n": 2, "s": None, "order": {"field": "EMAIL", "direction": "DESC"}},
        {"n": 3, "s": "REVOKED"},
        {"n": 101},  # a bad value for an argument: the plan gives up
    ):
        bodies = [
            (await client.gql(query, variables, token=token)) for client in (fast, standard)
        ]
        assert _without_request_ids(bodies[0]) == _without_request_ids(bodies[1]), variables
    assert _plans(fast).served == served + 2
    assert bodies[0]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_plan_gives_up_for_a_non_admin_exactly_like_the_standard_executor(database, make_client):
    _, token = await signed_in(database, email="dee@example.com")
    async with make_client(graphql_fast_path=True) as fast, make_client(graphql_fast_path=False) as standard:
        for query in (PLANNED[3], PLANNED[4]):
            bodies = [_without_request_ids(await client.gql(query, token=token)) for client in (fast, standard)]
            assert bodies[0] == bodies[1]
        assert (_plans(fast).served, _plans(fast).gave_up) == (1, 1)


# --- direct execution (schema/execution/direct.py) ---------------------------------------------------------

def _direct_runs(client) -> int:
    return client.app.state.graphql.schema.direct_runs


async def _exchange(client, body, *, token: str | None = None, accept: str | None = None, cookie: str | None = None):
    headers = {"Accept": accept} if accept else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    response = await client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.headers.get("content-type"), _without_request_ids(response.json())


DIRECT = [
    ({"query": PLANNED[4]}, True),
    ({"query": "query A { viewer { id } } query B { __typename }", "operationName": "B"}, True),
    ({"query": "query($n: Int!) { users(first: $n) { totalCount } }", "variables": {"n": 2}}, True),
    # Variables that do not coerce: graphql-core refuses them, before any resolver runs.
    ({"query": "query($n: Int!) { users(first: $n) { totalCount } }", "variables": {"n": "two"}}, True),
    ({"query": "query($n: Int!) { users(first: $n) { totalCount } }"}, True),
    ({"query": "{ users(first: 101) { totalCount } }"}, True),  # a resolver's error
    ({"query": "{ viewer { email } }", "extensions": {"client": "test"}}, True),
    # What Strawberry answers before execution goes its way.
    ({"query": "{ viewer { id "}, False),
    ({"query": "{ viewer { nope } }"}, False),
    ({"query": "query A { viewer { id } } query B { __typename }"}, False),
    ({"query": "query A { viewer { id } }", "operationName": "Z"}, False),
    ({"query": "{ viewer { id } }", "extensions": "not an object"}, False),
    # A credential field with a sibling is refused by a validation rule (BAD_REQUEST), both ways.
    ({"query": 'mutation { signIn(input: {email: "a@b.io", password: "p"}) { token } signOut { errors { code } } }'}, False),
    # A cost over budget (QUERY_TOO_COMPLEX), from a literal or from a variable.
    ({"query": "{ users(first: 100) { edges { node { sessions(first: 100) { edges { cursor } } } } } }"}, False),
    ({"query": "query($n: Int!) { users(first: $n) { edges { node { sessions(first: $n) { totalCount edges { cursor } } } } } }",
      "variables": {"n": 100}}, False),
]


@pytest.mark.parametrize("accept", [None, "application/graphql-response+json"])
@pytest.mark.parametrize(("body", "direct"), DIRECT)
async def test_posted_operations_run_directly_and_answer_as_strawberry_does(pair, body, direct, accept):
    token, fast, standard = pair
    before = _direct_runs(fast)
    answers = [await _exchange(client, body, token=token, accept=accept) for client in (fast, standard, fast)]
    assert answers[0] == answers[1] == answers[2], body
    assert _direct_runs(fast) - before == (2 if direct else 0)
    assert _direct_runs(standard) == 0


async def test_a_mutation_runs_directly_with_its_cookie_and_its_transaction(database, make_client, settings):
    eve = user_row(email="eve@example.com")
    eve.password_hash = await hash_password("correct horse battery", password_hashing(settings).params)
    await make_users(database, eve)
    mutation = """mutation($password: String!) { signIn(input: {email: "eve@example.com", password: $password}) {
        user { email } errors { code } } }"""
    async with make_client(graphql_fast_path=True) as fast, make_client(graphql_fast_path=False) as standard:
        for password in ("wrong password here", "correct horse battery"):
            responses = [
                await client.post("/graphql", json={"query": mutation, "variables": {"password": password}})
                for client in (fast, standard)
            ]
            assert responses[0].json() == responses[1].json()
            assert ("set-cookie" in responses[0].headers) == ("set-cookie" in responses[1].headers)
        assert "set-cookie" in responses[0].headers
        assert _direct_runs(fast) == 2
        # The new session was committed: its cookie authenticates the next request, sent directly too.
        cookie = responses[0].headers["set-cookie"].split(";", 1)[0]
        status, _, body = await _exchange(fast, {"query": "{ viewer { email } }"}, cookie=cookie)
        assert (status, body) == (200, {"data": {"viewer": {"email": "eve@example.com"}}})
        assert _direct_runs(fast) == 3


async def test_get_requests_keep_the_standard_path(pair):
    token, fast, _ = pair
    before = _direct_runs(fast)
    response = await fast.get(
        "/graphql", params={"query": "{ viewer { email } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json() == {"data": {"viewer": {"email": "ada@example.com"}}}
    assert _direct_runs(fast) == before


def test_direct_execution_does_what_every_extension_of_the_schema_does():
    # execute_directly stands in for these two; a new extension must be added there too.
    from schema.extensions import RecordedTransaction
    from schema.validation import CheckedDocument

    assert [getattr(extension, "func", extension) for extension in build_schema().extensions] == [
        CheckedDocument, RecordedTransaction,
    ]


def test_is_type_of_gets_no_resolve_info_only_when_its_code_never_reads_it():
    from schema.execution.plan import _reads_info
    from schema.types.session import Session
    from schema.types.user import User

    assert not _reads_info(User.is_type_of) and not _reads_info(Session.is_type_of)
    assert not _reads_info(lambda value, _info: value is not None)
    assert _reads_info(lambda value, info: info.context is not None)
    assert _reads_info(lambda value, *rest: True)
    assert _reads_info(lambda value, info: locals())


@strawberry.type
class PathLeaf:
    name: str

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return ".".join(str(key) for key in info.path.as_list())


@strawberry.type
class PathBranch:
    leaves: list[PathLeaf]

    @classmethod
    def is_type_of(cls, obj, _info) -> bool:
        return isinstance(obj, PathBranch)


@strawberry.type
class PathQuery:
    @strawberry.field
    def branches(self) -> list[PathBranch]:
        return [PathBranch(leaves=[PathLeaf(name="a"), PathLeaf(name="b")]), PathBranch(leaves=[PathLeaf(name="c")])]


def test_resolvers_under_plain_objects_still_get_their_full_path():
    # Paths are only built where a ResolveInfo may be: below `leaves` (read off the parent, under an
    # is_type_of that ignores its info) the `where` resolver must still see its whole path.
    schema = strawberry.Schema(query=PathQuery)._schema
    document = graphql.parse("{ branches { leaves { name where } } }")
    planned = [graphql.execute(schema, document, executor_class=FastExecutionContext) for _ in range(2)]
    assert plan_cache(schema).served == 2
    assert planned[0] == planned[1] == graphql.execute(schema, document)
    assert planned[0].data["branches"][1]["leaves"][0]["where"] == "branches.1.leaves.0.where"


async def test_the_fast_path_stays_off_on_unverified_library_versions(make_client, monkeypatch, caplog):
    """The shortcuts lean on internals of strawberry-graphql and graphql-core: on any version other than
    the verified ones the standard executor answers, with one WARNING at start-up."""
    from schema import execution

    monkeypatch.setitem(execution.VERIFIED_VERSIONS, "graphql-core", "0.0.1")
    with caplog.at_level("WARNING", logger="schema.execution"):
        async with make_client(graphql_fast_path=True) as client:
            schema = client.app.state.graphql.schema
            body = await client.gql("{ __typename }")
    assert body == {"data": {"__typename": "Query"}}
    assert schema.direct_execution is False and schema.direct_runs == 0
    assert schema.execution_context_class is not FastExecutionContext
    warnings = [record for record in caplog.records if "fast path off" in record.getMessage()]
    assert len(warnings) == 1 and "graphql-core 0.0.1" in warnings[0].getMessage()

