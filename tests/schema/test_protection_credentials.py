"""A field that checks a password, a second-factor code or a link token is the only root field of its
operation (`__typename` aside): anything beside it, aliases and fragments included, refuses the whole
operation before execution with BAD_REQUEST, on both execution paths."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import User
from schema import build_schema
from schema.validation import checks_credential
from tests.support.auth import PASSWORD

GRAPHQL_RESPONSE = "application/graphql-response+json"
SIGN_IN = 'signIn(input: {email: "ann@example.com", password: "%s"}) { token errors { code } }' % PASSWORD
SIGN_UP = 'signUp(input: {email: "%s", password: "%s", name: "Ann"}) { token errors { code } }'

REFUSED = {
    "signIn + signOut": f"mutation {{ {SIGN_IN} signOut {{ errors {{ code }} }} }}",
    "two aliased signIns": f"mutation {{ a: {SIGN_IN} b: {SIGN_IN} }}",
    "signIn + an aliased __typename and updateViewer": (
        f'mutation {{ {SIGN_IN} t: __typename updateViewer(input: {{name: "X"}}) {{ errors {{ code }} }} }}'
    ),
    "through a named fragment": f"mutation {{ ...F signOut {{ errors {{ code }} }} }} fragment F on Mutation {{ {SIGN_IN} }}",
    "through an inline fragment": f"mutation {{ ... on Mutation {{ a: {SIGN_IN} }} ... {{ b: {SIGN_IN} }} }}",
    "skipped sibling still counts": f"mutation {{ {SIGN_IN} signOut @skip(if: true) {{ errors {{ code }} }} }}",
    "changePassword + revokeOtherSessions": (
        'mutation { changePassword(input: {currentPassword: "a", newPassword: "b"}) { errors { code } } '
        "revokeOtherSessions { revokedCount } }"
    ),
    "deleteViewer twice": 'mutation { a: deleteViewer(input: {password: "x"}) { errors { code } } '
    'b: deleteViewer(input: {password: "y"}) { errors { code } } }',
}
ALLOWED = {
    "alone": f"mutation {{ {SIGN_IN} }}",
    "beside __typename": f"mutation {{ __typename {SIGN_IN} t: __typename }}",
    # One response key: graphql-core merges the two into one execution of the resolver.
    "merged under one key": f"mutation {{ ...F ... {{ {SIGN_IN} }} }} fragment F on Mutation {{ {SIGN_IN} }}",
}


def test_the_credential_fields_are_tagged_in_the_schema():
    mutation = build_schema()._schema.mutation_type
    tagged = {name for name, field in mutation.fields.items() if checks_credential(field)}
    assert tagged == {
        "signIn", "signUp", "changePassword", "deleteViewer",
        # Email flows: they check a link token or a password, or send mail.
        "requestPasswordReset", "resetPassword", "requestEmailVerification", "verifyEmail",
        "requestEmailChange", "confirmEmailChange",
        # Two-factor.
        "beginTwoFactorSetup", "confirmTwoFactorSetup", "disableTwoFactor", "regenerateRecoveryCodes",
        "verifyTwoFactor", "resetTwoFactor",
    }


@pytest.mark.parametrize("fast_path", [True, False], ids=["direct", "standard"])
@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_credential_field_with_a_sibling_is_refused_before_execution(make_client, fast_path, case):
    async with make_client(graphql_fast_path=fast_path) as client:
        for accept, status in ((GRAPHQL_RESPONSE, 400), ("application/json", 200)):
            response = await client.post("/graphql", json={"query": REFUSED[case]}, headers={"accept": accept})
            assert response.status_code == status
            body = response.json()
            assert "data" not in body, body
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_REQUEST"
            assert "must be the only field of its operation" in error["message"]
            assert error["message"].split("'")[1] in {"signIn", "changePassword", "deleteViewer"}


@pytest.mark.parametrize("fast_path", [True, False], ids=["direct", "standard"])
async def test_a_refused_operation_runs_nothing(make_client, database, fast_path):
    async with make_client(graphql_fast_path=fast_path) as client:
        query = "mutation { a: %s b: %s }" % (
            SIGN_UP % ("one@example.com", PASSWORD), SIGN_UP % ("two@example.com", PASSWORD)
        )
        body = await client.gql(query)
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST" and "data" not in body
    async with database.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar_one() == 0


@pytest.mark.parametrize("fast_path", [True, False], ids=["direct", "standard"])
@pytest.mark.parametrize("case", list(ALLOWED))
async def test_a_credential_field_alone_runs(make_client, fast_path, case):
    async with make_client(graphql_fast_path=fast_path) as client:
        body = await client.gql(ALLOWED[case])
        assert "errors" not in body, body
        assert body["data"]["signIn"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
