"""Outside review of bans, impersonation and the security event log (attack-admin): each test is an attack
that succeeded, and asserts what CONTRACT.md ("Bans, impersonation, events") requires instead."""

import pytest

from schema.relay import to_global_id
from tests.support.auth import VIEWER, codes, sign_in
from tests.support.events import events_of
from tests.support.factories import make_session, make_user, signed_in_admin
from tests.support.two_factor import Clock, challenge_for, clocked_client, user_with_two_factor, verify

IMPERSONATE = """mutation($id: ID!) {
  impersonateUser(id: $id) { token session { id } errors { code message } }
}"""
BAN = """mutation($id: ID!, $input: BanUserInput!) {
  banUser(id: $id, input: $input) { user { id isBanned } errors { field code message } }
}"""
PROMOTE = "mutation($id: ID!) { updateUser(id: $id, input: {role: ADMIN}) { errors { code } } }"


def gid(user):
    return to_global_id("User", user.id)


async def impersonate(client, admin_token, user):
    payload = (await client.gql(IMPERSONATE, {"id": gid(user)}, token=admin_token))["data"]["impersonateUser"]
    assert payload["errors"] == [], payload
    return payload


async def promoted_while_impersonated(client, database):
    """Admin A impersonates user U, then U is promoted to admin (by A or by another admin who does not
    know). Returns (admin A, the impersonation token)."""
    admin, admin_token = await signed_in_admin(database, email="ada@example.com")
    user = await make_user(database, email="bo@example.com")
    as_user = (await impersonate(client, admin_token, user))["token"]
    assert (await client.gql(PROMOTE, {"id": gid(user)}, token=admin_token))["data"]["updateUser"]["errors"] == []
    return admin, as_user


async def test_an_impersonation_session_reads_other_accounts_once_its_user_is_promoted(client, database):
    """Attack: an impersonation session whose user is promoted to admin afterwards is not revoked by the
    promotion, and `sees_user`/`sees_event` only look at `viewer.user.role`: through `user(id)` and
    `node(id)` the impersonation token now reads any account and any other user's security events
    (e.g. another user's SIGN_IN_FAILED with its IP). Expected (CONTRACT: impersonation is of a non-admin
    user; docs/security.md and schema/permissions.py: an impersonation session "never acts as an admin,
    even if the user became one"): the session is revoked by the promotion, or it still sees only its own
    account - null for another user and for another user's event."""
    _, as_user = await promoted_while_impersonated(client, database)
    other = await make_user(database, email="cy@example.com")
    await sign_in(client, email="cy@example.com", password="not-the-password-1")  # an event of cy's
    client.cookies.clear()
    if (await client.gql(VIEWER, token=as_user))["data"]["viewer"] is None:
        return  # revoked on promotion: what the contract allows
    seen = await client.gql("query($id: ID!) { user(id: $id) { email } }", {"id": gid(other)}, token=as_user)
    [failed] = await events_of(database, "SIGN_IN_FAILED")
    event = await client.gql("query($id: ID!) { node(id: $id) { ... on SecurityEvent { email ipAddress } } }",
                             {"id": to_global_id("SecurityEvent", failed.id)}, token=as_user)
    leaked = {"user(id)": seen["data"]["user"], "node(SecurityEvent)": event["data"]["node"]}
    assert leaked == {"user(id)": None, "node(SecurityEvent)": None}, "an impersonation session reads others"


async def test_an_impersonation_session_revokes_any_session_once_its_user_is_promoted(client, database):
    """Attack: the same promoted-while-impersonated session calls `revokeSession` with the ID of the
    impersonating admin's own session (or any other admin's): `revoke_session` allows any session to an
    actor whose role is ADMIN, without asking whether the request comes from an impersonation session, so
    the user's session signs the admins out. Expected (an impersonation session never acts as an admin):
    NOT_FOUND, as for any non-admin asking for another user's session, and the admin's session stays active."""
    admin, as_user = await promoted_while_impersonated(client, database)
    admin_session, admin_session_token = await make_session(database, admin)
    if (await client.gql(VIEWER, token=as_user))["data"]["viewer"] is None:
        return  # revoked on promotion: what the contract allows
    revoked = await client.gql(
        "mutation($id: ID!) { revokeSession(id: $id) { session { status } errors { code } } }",
        {"id": to_global_id("Session", admin_session.id)}, token=as_user,
    )
    assert codes(revoked["data"]["revokeSession"]) == ["NOT_FOUND"], revoked
    assert (await client.gql(VIEWER, token=admin_session_token))["data"]["viewer"]["email"] == "ada@example.com"


async def test_sign_out_through_an_impersonation_token_drops_the_admins_cookie(client, database, settings):
    """Attack: the admin's page (signed in by cookie) holds an impersonation token and sends it as a
    bearer token; anything that makes the page run `signOut` as the user (the user's own 'sign out' button
    while impersonating) answers with a Set-Cookie that deletes the ADMIN's session cookie. Expected
    (CONTRACT: impersonation "sets and changes no cookie ... its own cookie session is untouched"): a
    request authenticated by an impersonation bearer token never touches the cookie."""
    _, admin_token = await signed_in_admin(database, email="ada@example.com")
    user = await make_user(database, email="bo@example.com")
    as_user = (await impersonate(client, admin_token, user))["token"]
    client.cookies.set(settings.cookie_name, admin_token)
    response = await client.post(
        "/graphql", json={"query": "mutation { signOut { errors { code } } }"},
        headers={"authorization": f"Bearer {as_user}"},
    )
    assert response.status_code == 200
    assert settings.cookie_name not in response.headers.get("set-cookie", ""), response.headers.get("set-cookie")


async def test_a_ban_between_the_two_sign_in_steps_leaves_no_sign_in_failed_event(make_client, database, monkeypatch):
    """Attack: a banned user with two-factor on (or one banned between the password and the code) keeps
    trying `verifyTwoFactor` with right codes: each is refused ACCOUNT_BANNED, but no SIGN_IN_FAILED is
    recorded (the refusal is raised inside the transaction that would have completed the sign-in), so
    admins never see those attempts. Expected (CONTRACT: events about attempts are kept even when their
    operation fails; sign-in refused as banned is SIGN_IN_FAILED with reason banned, as at the first
    step): one SIGN_IN_FAILED for the refused second step."""
    clock = Clock()
    async with clocked_client(make_client, monkeypatch, clock) as client:
        user = await user_with_two_factor(client, clock, email="ann@example.com")
        challenge = await challenge_for(client, email="ann@example.com")
        _, admin_token = await signed_in_admin(database, email="ada@example.com")
        banned = await client.gql(BAN, {"id": user.user_id, "input": {"reason": "spam"}}, token=admin_token)
        assert banned["data"]["banUser"]["errors"] == []
        before = len(await events_of(database, "SIGN_IN_FAILED"))
        refused = await verify(client, challenge, clock.code(user.secret))
        assert codes(refused) == ["ACCOUNT_BANNED"] and refused["token"] is None
        after = await events_of(database, "SIGN_IN_FAILED")
        assert len(after) == before + 1, "a refused (banned) second step is not in the event log"


async def test_a_nul_in_the_user_agent_erases_a_failed_sign_in_on_postgresql(client, database, is_postgres):
    """Attack (PostgreSQL): guess a password with a NUL byte in the User-Agent header. The user agent is
    stored in the event unsanitised (unlike the typed email, which `_storable` strips of NUL), PostgreSQL
    refuses the text, the SIGN_IN_FAILED insert fails and the operation answers INTERNAL_SERVER_ERROR: the
    guess leaves no trace in the event log. (uvicorn itself refuses NUL in headers, so this needs another
    ASGI server or a proxy path that lets it through: defence in depth.) Expected (CONTRACT: events about
    attempts are kept even when their operation fails; every event has the user agent): the refusal
    INVALID_CREDENTIALS and one SIGN_IN_FAILED, with the user agent made storable."""
    if not is_postgres:
        pytest.skip("SQLite stores NUL; the problem is PostgreSQL's (set TEST_DATABASE_URL)")
    await make_user(database, email="bo@example.com")
    response = await client.post(
        "/graphql",
        json={"query": 'mutation { signIn(input: {email: "bo@example.com", password: "wrong-password-9"}) '
                       "{ errors { code } } }"},
        headers={"user-agent": "guesser\x00agent"},
    )
    assert response.json().get("data") == {"signIn": {"errors": [{"code": "INVALID_CREDENTIALS"}]}}, response.text
    assert len(await events_of(database, "SIGN_IN_FAILED")) == 1
