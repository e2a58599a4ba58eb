"""Names refuse control characters, format characters (bidirectional overrides, isolates and marks, the
BOM, invisible tags) and line separators with INVALID_INPUT on `name`, in every mutation that sets one;
the zero-width joiner of emoji sequences and the non-joiner of Persian spelling stay allowed."""

from __future__ import annotations

import pytest

from schema.relay import to_global_id
from tests.support.auth import PASSWORD
from tests.support.factories import make_user, signed_in, signed_in_admin

REFUSED = {
    "right-to-left override": "Ann\u202egpj.exe",
    "left-to-right embedding": "\u202aAnn",
    "pop directional formatting": "Ann\u202c",
    "left-to-right override": "Ann\u202d",
    "right-to-left isolate": "Ann\u2067x",
    "first strong isolate": "Ann\u2068x\u2069",
    "left-to-right mark": "Ann\u200e",
    "right-to-left mark": "Ann\u200f",
    "arabic letter mark": "Ann\u061c",
    "byte order mark": "\ufeffAnn",
    "soft hyphen": "An\u00adn",
    "invisible tag": "Ann\U000e0041",
    "line separator": "Ann\u2028Bob",
    "paragraph separator": "Ann\u2029Bob",
    "escape": "Ann\x1b[31m",
    "delete": "Ann\x7f",
    "next line (C1)": "Ann\x85Bob",  # trimmed at either end, like any whitespace
}
ALLOWED = {
    "emoji with zero-width joiners": "\U0001f469\u200d\U0001f4bb Ann",
    "family emoji": "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "persian with a zero-width non-joiner": "\u0645\u06cc\u200c\u0631\u0648\u0645",
    "accents": "Zo\u00eb Ren\u00e9e",
    "arabic": "\u0639\u0644\u064a",
}
SIGN_UP = "mutation ($i: SignUpInput!) { signUp(input: $i) { user { name } errors { field code } } }"
UPDATE_VIEWER = "mutation ($i: UpdateViewerInput!) { updateViewer(input: $i) { user { name } errors { field code } } }"
CREATE_USER = "mutation ($i: CreateUserInput!) { createUser(input: $i) { user { name } errors { field code } } }"
UPDATE_USER = "mutation ($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { user { name } errors { field code } } }"


async def _set_name(client, database, mutation: str, name: str) -> dict:
    """The payload of `mutation` setting `name`, with whatever caller and target it needs."""
    if mutation == "signUp":
        body = await client.gql(SIGN_UP, {"i": {"email": "new@example.com", "password": PASSWORD, "name": name}})
    elif mutation == "updateViewer":
        _, token = await signed_in(database)
        body = await client.gql(UPDATE_VIEWER, {"i": {"name": name}}, token=token)
    else:
        _, token = await signed_in_admin(database)
        if mutation == "createUser":
            variables = {"i": {"email": "new@example.com", "password": PASSWORD, "name": name}}
            body = await client.gql(CREATE_USER, variables, token=token)
        else:
            target = await make_user(database, email="target@example.com")
            variables = {"id": to_global_id("User", target.id), "i": {"name": name}}
            body = await client.gql(UPDATE_USER, variables, token=token)
    assert "errors" not in body, body
    return body["data"][mutation]


MUTATIONS = ["signUp", "updateViewer", "createUser", "updateUser"]


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("case", list(REFUSED))
async def test_names_with_invisible_or_reordering_characters_are_invalid_input(client, database, mutation, case):
    payload = await _set_name(client, database, mutation, REFUSED[case])
    assert payload == {"user": None, "errors": [{"field": ["input", "name"], "code": "INVALID_INPUT"}]}


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("case", list(ALLOWED))
async def test_names_in_any_script_and_with_emoji_sequences_are_kept(client, database, mutation, case):
    payload = await _set_name(client, database, mutation, ALLOWED[case])
    assert payload == {"user": {"name": ALLOWED[case]}, "errors": []}
