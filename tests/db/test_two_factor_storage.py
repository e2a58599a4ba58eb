"""What two-factor keeps at rest: the secret only encrypted with a key from the settings (so a copy of the
database alone yields no codes), recovery codes and challenges only as hashes; and key rotation."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text

from api.settings import Settings
from db.models import RecoveryCode, TwoFactor, TwoFactorChallenge
from db.services.secret_box import SecretBox, SecretUnreadable
from tests.support.two_factor import VERIFY, challenge_for, clocked_client, user_with_two_factor, verify

TEST_KEY = os.environ["SECRET_KEY"]
OLD_KEY, NEW_KEY = "the old key of thirty-two characters or more", "the new key of thirty-two characters or more"


async def _dump(database) -> str:
    """Every two-factor row as text, as someone with a copy of the database would see it."""
    async with database.sessionmaker() as db:
        rows = []
        for table in ("two_factor", "recovery_codes", "two_factor_challenges"):
            rows += [repr(tuple(row)) for row in (await db.execute(text(f"SELECT * FROM {table}"))).all()]
    return "\n".join(rows)


async def test_the_database_holds_no_secret_code_or_challenge_in_the_clear(make_client, monkeypatch, clock, database):
    async with clocked_client(make_client, monkeypatch, clock) as client:
        ann = await user_with_two_factor(client, clock)
        challenge = await challenge_for(client)
        dump = await _dump(database)
    for plain in (ann.secret, ann.secret.lower(), challenge, *ann.recovery_codes,
                  *(code.replace("-", "") for code in ann.recovery_codes)):
        assert plain not in dump
    async with database.sessionmaker() as db:
        stored = (await db.execute(select(TwoFactor.secret))).scalar_one()
        assert len((await db.execute(select(RecoveryCode.code_hash))).all()) == 10
        assert len((await db.execute(select(TwoFactorChallenge.token_hash))).all()) == 1
    with pytest.raises(SecretUnreadable):
        SecretBox(["some other key of at least thirty-two characters"]).decrypt(stored)
    assert SecretBox([TEST_KEY]).decrypt(stored) == ann.secret


async def test_a_secret_written_with_a_rotated_out_key_still_works_and_moves_to_the_new_key(
    make_client, monkeypatch, clock, database
):
    async with clocked_client(make_client, monkeypatch, clock, secret_key=OLD_KEY) as client:
        ann = await user_with_two_factor(client, clock)
    monkeypatch.undo()
    async with clocked_client(make_client, monkeypatch, clock, secret_key=NEW_KEY, secret_key_fallbacks=OLD_KEY) as client:
        assert (await verify(client, await challenge_for(client), clock.code(ann.secret)))["token"]
    async with database.sessionmaker() as db:
        stored = (await db.execute(select(TwoFactor.secret))).scalar_one()
    assert SecretBox([NEW_KEY]).decrypt(stored) == ann.secret

    monkeypatch.undo()
    clock.advance(30)
    async with clocked_client(make_client, monkeypatch, clock, secret_key=NEW_KEY) as client:  # old key dropped
        assert (await verify(client, await challenge_for(client), clock.code(ann.secret)))["token"]


async def test_without_its_key_an_authenticator_code_signs_no_one_in_but_recovery_codes_still_do(
    make_client, monkeypatch, clock
):
    async with clocked_client(make_client, monkeypatch, clock, secret_key=OLD_KEY) as client:
        ann = await user_with_two_factor(client, clock)
    monkeypatch.undo()
    async with clocked_client(make_client, monkeypatch, clock, secret_key=NEW_KEY) as client:
        challenge = await challenge_for(client)
        body = await client.gql(VERIFY, {"challenge": challenge, "code": clock.code(ann.secret)})
        # An operator's mistake (the key lost or not configured), said loudly rather than as a wrong code.
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert "no configured key" not in str(body)
        assert (await verify(client, challenge, ann.recovery_codes[0]))["token"]


def test_settings_read_the_fallback_keys_as_one_comma_separated_list():
    from api.secret_key import secret_keys

    settings = Settings(secret_key=NEW_KEY, secret_key_fallbacks=f" {OLD_KEY} , another old key ")
    assert secret_keys(settings) == [NEW_KEY, OLD_KEY, "another old key"]
    assert NEW_KEY not in repr(settings)  # kept as SecretStr: not in logs or tracebacks
