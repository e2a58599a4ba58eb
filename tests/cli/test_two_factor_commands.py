"""`usergraph purge-sessions` also deletes ended two-factor challenges; `usergraph rotate-secret-key`
re-encrypts every stored secret with the current key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import TwoFactor, TwoFactorChallenge, User
from db.services.secret_box import SecretBox
from db.types import utcnow
from tests.cli.test_cli import run

OLD_KEY, NEW_KEY = "the old key of thirty-two characters or more", "the new key of thirty-two characters or more"


async def test_purge_deletes_challenges_that_ended_and_keeps_live_ones(database):
    now = utcnow()
    async with database.sessionmaker() as db:
        user = User(email="ann@example.com", name="Ann", password_hash="x")
        db.add(user)
        await db.flush()
        for name, expires, used in [("live", now + timedelta(minutes=4), None),
                                    ("expired", now - timedelta(seconds=1), None),
                                    ("used", now + timedelta(minutes=4), now)]:
            db.add(TwoFactorChallenge(token_hash=name.ljust(64, "0"), user_id=user.id, expires_at=expires, used_at=used,
                                      password_digest="0" * 64))
        await db.commit()
    result = run("purge-sessions")
    assert result.returncode == 0, result.stderr
    assert "deleted 2 ended two-factor challenge(s)" in result.stdout.splitlines()
    async with database.sessionmaker() as db:
        assert (await db.scalars(select(TwoFactorChallenge.token_hash))).all() == ["live".ljust(64, "0")]


async def test_rotate_secret_key_rewrites_every_secret_with_the_current_key(database):
    old = SecretBox([OLD_KEY])
    async with database.sessionmaker() as db:
        users = [User(email=f"u{i}@example.com", name="U", password_hash="x") for i in range(3)]
        db.add_all(users)
        await db.flush()
        db.add(TwoFactor(user_id=users[0].id, secret=old.encrypt("SECRETONE"), pending_secret=None))
        db.add(TwoFactor(user_id=users[1].id, secret=None, pending_secret=old.encrypt("PENDINGTWO")))
        db.add(TwoFactor(user_id=users[2].id, secret=SecretBox([NEW_KEY]).encrypt("ALREADYNEW")))
        await db.commit()

    refused = run("rotate-secret-key", env={"SECRET_KEY": NEW_KEY})  # the old key is not among the keys
    assert refused.returncode == 1 and "nothing was changed" in refused.stderr

    result = run("rotate-secret-key", env={"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": OLD_KEY})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "re-encrypted 2 two-factor secret(s) with the current SECRET_KEY"
    new_only = SecretBox([NEW_KEY])
    async with database.sessionmaker() as db:
        rows = (await db.execute(select(TwoFactor.secret, TwoFactor.pending_secret))).all()
    plain = sorted(new_only.decrypt(value) for row in rows for value in row if value is not None)
    assert plain == ["ALREADYNEW", "PENDINGTWO", "SECRETONE"]
