"""CONTRACT.md, Errors: input the user can fix is a payload error or BAD_USER_INPUT, never an
INTERNAL_SERVER_ERROR, even for text PostgreSQL itself refuses (a NUL character)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from schema.relay import to_global_id
from tests.support.auth import PASSWORD, sign_up
from tests.support.factories import make_user, signed_in_admin

NUL = "a\x00b"


def _cursor(field: str, value: str) -> str:
    raw = json.dumps([field, value, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


PAYLOAD_CASES = {
    "signUp name": ("mutation($i: SignUpInput!) { signUp(input: $i) { errors { field code } } }",
                    {"i": {"email": "ann@example.com", "password": PASSWORD, "name": NUL}},
                    [{"field": ["input", "name"], "code": "INVALID_INPUT"}]),
    "signUp email": ("mutation($i: SignUpInput!) { signUp(input: $i) { errors { field code } } }",
                     {"i": {"email": f"{NUL}@example.com", "password": PASSWORD, "name": "Ann"}},
                     [{"field": ["input", "email"], "code": "INVALID_INPUT"}]),
    "signIn email": ("mutation($i: SignInInput!) { signIn(input: $i) { errors { field code } } }",
                     {"i": {"email": f"{NUL}@example.com", "password": PASSWORD}},
                     [{"field": None, "code": "INVALID_CREDENTIALS"}]),
    "updateViewer name": ("mutation($i: UpdateViewerInput!) { updateViewer(input: $i) { errors { field code } } }",
                          {"i": {"name": NUL}}, [{"field": ["input", "name"], "code": "INVALID_INPUT"}]),
    "updateViewer image": ("mutation($i: UpdateViewerInput!) { updateViewer(input: $i) { errors { field code } } }",
                           {"i": {"image": f"https://example.com/{NUL}"}},
                           [{"field": ["input", "image"], "code": "INVALID_INPUT"}]),
    "createUser name": ("mutation($i: CreateUserInput!) { createUser(input: $i) { errors { field code } } }",
                        {"i": {"email": "new@example.com", "password": PASSWORD, "name": f"New\n{NUL}"}},
                        [{"field": ["input", "name"], "code": "INVALID_INPUT"}]),
    "updateUser name and email": (
        "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { errors { field code } } }",
        {"i": {"name": NUL, "email": f"{NUL}@example.com"}},
        [{"field": ["input", "email"], "code": "INVALID_INPUT"}, {"field": ["input", "name"], "code": "INVALID_INPUT"}]),
}
TOP_LEVEL_CASES = {
    "users search": ("query($s: String) { users(filter: {search: $s}) { totalCount } }", {"s": NUL}),
    "users EMAIL cursor": ("query($c: String) { users(after: $c, orderBy: {field: EMAIL}) { totalCount } }",
                           {"c": _cursor("EMAIL", NUL)}),
    "users NAME cursor": ("query($c: String) { users(before: $c, orderBy: {field: NAME}) { totalCount } }",
                          {"c": _cursor("NAME", NUL)}),
}


async def _admin_token(client, database) -> str:
    """An admin who is also the viewer the viewer mutations act for."""
    _, token = await signed_in_admin(database)
    return token


@pytest.mark.parametrize("case", list(PAYLOAD_CASES))
async def test_nul_characters_in_mutation_input_are_payload_errors(client, database, case):
    query, variables, errors = PAYLOAD_CASES[case]
    token = await _admin_token(client, database)
    if "$id" in query:
        variables = {**variables, "id": to_global_id("User", (await make_user(database)).id)}
    body = await client.gql(query, variables, token=token)
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert payload["errors"] == errors


@pytest.mark.parametrize("case", list(TOP_LEVEL_CASES))
async def test_nul_characters_in_query_arguments_are_bad_user_input(client, database, case):
    query, variables = TOP_LEVEL_CASES[case]
    body = await client.gql(query, variables, token=await _admin_token(client, database))
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]


async def test_the_api_still_works_after_refusing_them(client):
    """Nothing was left half-done by the refusals: the same email signs up cleanly afterwards."""
    await client.gql(*PAYLOAD_CASES["signUp name"][:2])
    assert (await sign_up(client))["errors"] == []
