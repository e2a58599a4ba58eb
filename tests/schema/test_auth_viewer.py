"""The viewer's own account: updateViewer, changePassword, deleteViewer; all need a signed-in viewer."""

import pytest
from sqlalchemy import func, select

from db.models import Session, User
from tests.support.auth import PASSWORD, VIEWER, codes, sign_in, sign_up

UPDATE = "mutation ($i: UpdateViewerInput!) { updateViewer(input: $i) { user { name image } errors { field code } } }"
CHANGE = "mutation ($i: ChangePasswordInput!) { changePassword(input: $i) { user { email } errors { field code } } }"
DELETE = "mutation ($i: DeleteViewerInput!) { deleteViewer(input: $i) { deletedUserId errors { field code } } }"
NEW_PASSWORD = "purple elephant dancing quietly"


@pytest.mark.parametrize("operation, variables", [
    (UPDATE, {"i": {"name": "X"}}),
    (CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}),
    (DELETE, {"i": {"password": PASSWORD}}),
    ("mutation { revokeOtherSessions { revokedCount } }", {}),
    ("mutation ($id: ID!) { revokeSession(id: $id) { session { id } } }", {"id": "U2Vzc2lvbjox"}),
    ("mutation { signOut { session { id } } }", {}),
])
async def test_viewer_mutations_need_a_signed_in_viewer(client, operation, variables):
    for token in (None, "revoked-or-never-issued-token-0123456789"):
        body = await client.gql(operation, variables, token=token)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


async def test_update_viewer_changes_name_and_image(client):
    token = (await sign_up(client))["token"]
    payload = (await client.gql(UPDATE, {"i": {"name": "  Ann Lee ", "image": "https://img.example.com/a.png"}},
                                token=token))["data"]["updateViewer"]
    assert payload == {"user": {"name": "Ann Lee", "image": "https://img.example.com/a.png"}, "errors": []}
    only_name = (await client.gql(UPDATE, {"i": {"name": "Ann"}}, token=token))["data"]["updateViewer"]
    assert only_name["user"] == {"name": "Ann", "image": "https://img.example.com/a.png"}
    cleared = (await client.gql(UPDATE, {"i": {"image": None}}, token=token))["data"]["updateViewer"]
    assert cleared["user"] == {"name": "Ann", "image": None}


async def test_update_viewer_reports_every_invalid_field(client):
    token = (await sign_up(client))["token"]
    payload = (await client.gql(UPDATE, {"i": {"name": "x" * 101, "image": "javascript:alert(1)"}},
                                token=token))["data"]["updateViewer"]
    assert payload == {"user": None, "errors": [{"field": ["input", "name"], "code": "INVALID_INPUT"},
                                                {"field": ["input", "image"], "code": "INVALID_INPUT"}]}
    assert (await client.gql(VIEWER, token=token))["data"]["viewer"]["name"] == "Ann"


async def test_change_password_checks_the_current_one_and_revokes_other_sessions(client):
    current = await sign_up(client)
    other = await sign_in(client)
    wrong = await client.gql(CHANGE, {"i": {"currentPassword": "nope nope nope", "newPassword": "abc"}},
                             token=current["token"])
    assert wrong["data"]["changePassword"]["errors"] == [
        {"field": ["input", "currentPassword"], "code": "INVALID_CREDENTIALS"},
        {"field": ["input", "newPassword"], "code": "WEAK_PASSWORD"},
    ]
    changed = await client.gql(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
                               token=current["token"])
    assert changed["data"]["changePassword"] == {"user": {"email": "ann@example.com"}, "errors": []}
    assert (await client.gql(VIEWER, token=current["token"]))["data"]["viewer"] is not None
    assert (await client.gql(VIEWER, token=other["token"]))["data"]["viewer"] is None
    assert codes(await sign_in(client)) == ["INVALID_CREDENTIALS"]
    assert (await sign_in(client, password=NEW_PASSWORD))["errors"] == []


async def test_change_password_can_keep_other_sessions(client):
    current = await sign_up(client)
    other = await sign_in(client)
    changed = await client.gql(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD,
                                              "revokeOtherSessions": False}}, token=current["token"])
    assert changed["data"]["changePassword"]["errors"] == []
    assert (await client.gql(VIEWER, token=other["token"]))["data"]["viewer"] is not None


async def test_wrong_current_passwords_are_rate_limited_too(client, settings):
    token = (await sign_up(client))["token"]
    for _ in range(settings.sign_in_max_failures_per_email_and_ip):
        await client.gql(CHANGE, {"i": {"currentPassword": "guess guess guess", "newPassword": NEW_PASSWORD}}, token=token)
    limited = await client.gql(CHANGE, {"i": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}, token=token)
    assert limited["data"]["changePassword"]["errors"] == [{"field": None, "code": "RATE_LIMITED"}]


async def test_delete_viewer_needs_the_password_and_removes_the_sessions(client, database, settings):
    ann = await sign_up(client)
    await sign_in(client)
    bob = await sign_up(client, email="bob@example.com", name="Bob")
    wrong = await client.gql(DELETE, {"i": {"password": "not it at all"}}, token=ann["token"])
    assert wrong["data"]["deleteViewer"] == {"deletedUserId": None,
                                             "errors": [{"field": ["input", "password"], "code": "INVALID_CREDENTIALS"}]}

    response = await client.post("/graphql", json={"query": DELETE, "variables": {"i": {"password": PASSWORD}}},
                                  headers={"Authorization": f"Bearer {ann['token']}"})
    assert response.json()["data"]["deleteViewer"] == {"deletedUserId": ann["user"]["id"], "errors": []}
    # Signed in by bearer token: a cookie the browser may hold is another session's, left alone
    # (tests/schema/test_auth_sessions.py); deleting by cookie drops it (below).
    assert "set-cookie" not in response.headers
    assert (await client.gql(VIEWER, token=ann["token"]))["data"]["viewer"] is None
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        assert await session.scalar(select(func.count()).select_from(Session)) == 1  # Bob's
    assert (await client.gql(VIEWER, token=bob["token"]))["data"]["viewer"]["email"] == "bob@example.com"


async def test_deleting_the_account_by_its_cookie_drops_the_cookie(client, settings):
    ann = await sign_up(client)
    response = await client.post(
        "/graphql", json={"query": DELETE, "variables": {"i": {"password": PASSWORD}}},
        headers={"Cookie": f"{settings.cookie_name}={ann['token']}"},
    )
    assert response.json()["data"]["deleteViewer"] == {"deletedUserId": ann["user"]["id"], "errors": []}
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{settings.cookie_name}=") and "max-age=0" in cookie
