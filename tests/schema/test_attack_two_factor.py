"""Outside review of two-factor sign-in (CONTRACT.md, "Two-factor" and "Authentication"; docs/security.md,
"Two-factor sign-in"): attacks that got through. Each test is written as the behaviour the contract asks
for, so it fails while the problem is there. Real app, real database, codes computed from the secret the
API returned at the clock the app checks them at (tests/support/two_factor.py)."""

from __future__ import annotations

import os
import stat

import pytest

from api.secret_key import SecretKeyError, development_key
from db.services.events import EventType
from tests.support.auth import PASSWORD, codes, sign_up
from tests.support.events import events_of
from tests.support.factories import signed_in_admin
from tests.support.two_factor import (
    BEGIN,
    CONFIRM,
    DELETE_VIEWER,
    DISABLE,
    VERIFY,
    VIEWER_2FA,
    challenge_for,
    clocked_client,
    user_with_two_factor,
    verify,
)

CHANGE_PASSWORD = """
mutation ($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } errors { field code } } }"""
UPDATE_USER = """
mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { user { id } errors { field code } } }"""
LAST_SIGN_IN = "{ viewer { lastSignInAt } }"
NEW_PASSWORD = "an entirely different passphrase, chosen after the scare"
NEW_KEY = "the new key of thirty-two characters or more"


@pytest.fixture
async def client(make_client, monkeypatch, clock):
    async with clocked_client(make_client, monkeypatch, clock) as client:
        yield client


def arabic_indic(code: str) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in code)


def full_width(code: str) -> str:
    return "".join(chr(0xFF10 + int(digit)) for digit in code)


def no_server_error(body: dict, field: str) -> dict:
    """The field's payload, after checking the operation did not fail as an unexpected error."""
    assert "errors" not in body, body  # INTERNAL_SERVER_ERROR: a 500 in GraphQL clothing
    return body["data"][field]


# --- 1. A pending challenge outlives a password change ------------------------------------------------


async def test_a_challenge_started_with_the_old_password_dies_when_the_owner_changes_the_password(client, clock):
    """Attack: someone has Ann's password (and, say, one of her recovery codes, or a code read over her
    shoulder). They call signIn and keep the challenge. Ann gets suspicious and changes her password
    (changePassword revokes her other sessions). Within the challenge's 5 minutes the attacker calls
    verifyTwoFactor with the code and gets a fresh session, made with a password that no longer exists.

    Expected: a password change ends every sign-in that was started with the old password; a challenge is
    a sign-in half done (auth._claim refuses a sign-in whose password changed while it was checked, and
    only a completed sign-in may create a session). verifyTwoFactor must refuse it (INVALID_CODE on
    `input.challenge`, as for an ended challenge) and give no token.
    Today: the challenge still completes and the attacker is signed in."""
    ann = await user_with_two_factor(client, clock)
    stolen_challenge = await challenge_for(client)  # the attacker, with the password

    changed = await client.gql(
        CHANGE_PASSWORD, {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}, token=ann.token,
    )
    assert changed["data"]["changePassword"]["errors"] == []
    client.cookies.clear()

    done = await verify(client, stolen_challenge, ann.recovery_codes[0])
    assert done["token"] is None and done["session"] is None, "a challenge from the old password signed in"
    assert codes(done) == ["INVALID_CODE"] and done["errors"][0]["field"] == ["input", "challenge"]


async def test_a_challenge_started_with_the_old_password_dies_when_an_admin_sets_a_new_one(client, clock, database):
    """Attack: as above, but the owner asks support, and an admin sets a new password for the account
    (updateUser with `password`), which the contract says revokes all of the user's sessions. The
    attacker's pending challenge, taken with the old password, still completes afterwards.

    Expected: the admin's new password ends the sign-ins begun with the old one; verifyTwoFactor refuses
    the challenge (INVALID_CODE on `input.challenge`) and gives no session.
    Today: a session is created."""
    ann = await user_with_two_factor(client, clock)
    stolen_challenge = await challenge_for(client)
    _, admin_token = await signed_in_admin(database)

    updated = await client.gql(UPDATE_USER, {"id": ann.user_id, "input": {"password": NEW_PASSWORD}}, token=admin_token)
    assert updated["data"]["updateUser"]["errors"] == []
    assert (await client.gql(VIEWER_2FA, token=ann.token))["data"]["viewer"] is None  # her sessions were revoked

    done = await verify(client, stolen_challenge, clock.code(ann.secret))
    assert done["token"] is None and done["session"] is None, "a challenge from the old password signed in"
    assert codes(done) == ["INVALID_CODE"] and done["errors"][0]["field"] == ["input", "challenge"]


# --- 2. Non-ASCII digits in a code crash the code check ----------------------------------------------


@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
async def test_a_code_in_non_ascii_digits_at_verify_is_a_code_error_not_a_server_error(client, clock, database, script):
    """Attack: verifyTwoFactor with a six-digit code written in other Unicode digits (Arabic-Indic
    '١٢٣٤٥٦', or the full-width digits a Japanese keyboard types). `\\d` in totp.is_totp_code accepts
    them, and `secrets.compare_digest` then raises TypeError on non-ASCII text: the field fails with
    INTERNAL_SERVER_ERROR (an ERROR with a traceback in the server log for each try), and the wrong guess is
    never recorded as a SIGN_IN_FAILED security event (refuse_code is skipped), so these guesses are
    invisible in the event log.

    Expected (CONTRACT.md, "Errors"): input the user can fix is a UserError in the payload, never an
    unexpected failure: INVALID_CODE (or the code accepted, if such digits are read as digits), and a
    refused code is a failed sign-in in the event log like any other wrong code."""
    ann = await user_with_two_factor(client, clock)
    challenge = await challenge_for(client)
    body = await client.gql(VERIFY, {"challenge": challenge, "code": script(clock.code(ann.secret))})
    payload = no_server_error(body, "verifyTwoFactor")
    if payload["token"] is None:
        assert codes(payload) == ["INVALID_CODE"]
        failures = await events_of(database, EventType.SIGN_IN_FAILED.value)
        assert [event.details.get("reason") for event in failures] == ["INVALID_CODE"]


@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
async def test_a_code_in_non_ascii_digits_at_set_up_is_a_code_error_not_a_server_error(client, clock, script):
    """Attack: confirmTwoFactorSetup with the current code in Arabic-Indic or full-width digits.

    Expected: INVALID_CODE in the payload (or two-factor turned on, if such digits are read as digits),
    never INTERNAL_SERVER_ERROR. Today: TypeError from secrets.compare_digest, a server error."""
    token = (await sign_up(client))["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    body = await client.gql(CONFIRM, {"code": script(clock.code(begun["secret"]))}, token=token)
    payload = no_server_error(body, "confirmTwoFactorSetup")
    assert payload["recoveryCodes"] or codes(payload) == ["INVALID_CODE"]


@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
async def test_a_code_in_non_ascii_digits_to_turn_two_factor_off_is_a_code_error_not_a_server_error(client, clock, script):
    """Attack: disableTwoFactor with the right password and a code in Arabic-Indic or full-width digits.

    Expected: INVALID_CODE in the payload (or two-factor turned off, if such digits are read as digits),
    never INTERNAL_SERVER_ERROR. Today: a server error."""
    ann = await user_with_two_factor(client, clock)
    body = await client.gql(DISABLE, {"password": PASSWORD, "code": script(clock.code(ann.secret))}, token=ann.token)
    payload = no_server_error(body, "disableTwoFactor")
    assert payload["user"] or codes(payload) == ["INVALID_CODE"]


@pytest.mark.parametrize("script", [arabic_indic, full_width], ids=["arabic-indic", "full-width"])
async def test_a_code_in_non_ascii_digits_to_delete_the_account_is_a_code_error_not_a_server_error(client, clock, script):
    """Attack: deleteViewer with the right password and `code` in Arabic-Indic or full-width digits.

    Expected: INVALID_CODE in the payload (or the account deleted, if such digits are read as digits),
    never INTERNAL_SERVER_ERROR. Today: a server error."""
    ann = await user_with_two_factor(client, clock)
    body = await client.gql(
        DELETE_VIEWER, {"input": {"password": PASSWORD, "code": script(clock.code(ann.secret))}}, token=ann.token,
    )
    payload = no_server_error(body, "deleteViewer")
    assert payload["deletedUserId"] or codes(payload) == ["INVALID_CODE"]


# --- 3. The password alone moves lastSignInAt ---------------------------------------------------------


async def test_the_password_step_alone_does_not_record_a_sign_in(client, clock):
    """Attack: with only Ann's password (no code), call signIn. It gives a challenge and, as it should, no
    token, session or user, but it also writes `lastSignInAt` on her account (auth._claim runs before the
    two-factor branch). Anyone holding the password can thus make the account (and the admins' user list)
    show a sign-in that never happened, and hide when the owner really last signed in.

    Expected (CONTRACT.md, "Sessions" and "Two-factor"): lastSignInAt is set by a completed sign-in, one
    that creates a session; for an account with two-factor on, that is verifyTwoFactor, not the password
    step. Today: the password step sets it."""
    ann = await user_with_two_factor(client, clock)
    before = (await client.gql(LAST_SIGN_IN, token=ann.token))["data"]["viewer"]["lastSignInAt"]
    clock.advance(120)
    await challenge_for(client)  # the password, no code: no sign-in happened
    after = (await client.gql(LAST_SIGN_IN, token=ann.token))["data"]["viewer"]["lastSignInAt"]
    assert after == before


# --- 4. SECRET_KEY rotation: a key that cannot become a fallback ---------------------------------------


@pytest.mark.parametrize(
    "old_key",
    [
        "old key, with a comma, of thirty-two characters or more",
        "the old key of thirty-two characters or more\n",  # as read from a secret file or an env var with a newline
        " the old key of thirty-two characters or more ",
    ],
    ids=["comma", "trailing-newline", "surrounding-spaces"],
)
async def test_any_accepted_secret_key_still_decrypts_once_moved_to_the_fallbacks(make_client, monkeypatch, clock, old_key):
    """Attack (on availability; an operator's routine rotation): SECRET_KEY is used exactly as given, so a
    key with a comma or surrounding whitespace is accepted and encrypts every authenticator secret. To
    rotate, the operator follows the documented procedure: the new key in SECRET_KEY, the old one in
    SECRET_KEY_FALLBACKS. The fallbacks are split on commas and stripped, so the old key is never tried as
    it was: every authenticator code then fails with INTERNAL_SERVER_ERROR (users without recovery codes
    are locked out) and `usergraph rotate-secret-key` refuses to run.

    Expected (docs/security.md: "SECRET_KEY_FALLBACKS still decrypt during a rotation"): a key that
    SECRET_KEY accepts keeps decrypting when moved to SECRET_KEY_FALLBACKS (or such a key is refused as
    SECRET_KEY in the first place). Here: the authenticator code signs in after the rotation."""
    try:
        async with clocked_client(make_client, monkeypatch, clock, secret_key=old_key) as client:
            ann = await user_with_two_factor(client, clock)
    except SecretKeyError:
        return  # refused as SECRET_KEY in the first place: also keeps the promise
    monkeypatch.undo()
    async with clocked_client(
        make_client, monkeypatch, clock, secret_key=NEW_KEY, secret_key_fallbacks=old_key,
    ) as client:
        body = await client.gql(VERIFY, {"challenge": await challenge_for(client), "code": clock.code(ann.secret)})
    payload = no_server_error(body, "verifyTwoFactor")
    assert payload["errors"] == [] and payload["token"]


# --- 5. The development key file is trusted whoever wrote it -------------------------------------------


def test_a_development_key_file_other_users_can_read_or_write_is_not_trusted(tmp_path):
    """Attack (local, development): the development key lives beside the SQLite file, e.g.
    /tmp/.usergraph-secret-key for DATABASE_URL=sqlite+aiosqlite:////tmp/app.db. Another local user
    creates that file first (world-writable /tmp), with a key they know and mode 0644. The server reads
    it and uses it without looking at its mode or owner, so that user can decrypt every authenticator
    secret from the (also readable) database file.

    Expected (docs/security.md: "a random key is generated once (mode 0600)"): a key file that other users
    can read or write is refused (SecretKeyError, a one-line start-up failure) rather than used."""
    path = tmp_path / ".usergraph-secret-key"
    path.write_text("a key someone else chose and knows, long enough\n")
    os.chmod(path, 0o666)
    assert stat.S_IMODE(path.stat().st_mode) & 0o077
    with pytest.raises(SecretKeyError):
        development_key(path)
