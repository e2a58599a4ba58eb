"""`rotate-secret-key` runs while the API serves: a secret that a user replaced between the rotation's
read and its write is never overwritten with the one it held before (the user's authenticator would no
longer match, locking them out); the rotation reads such a row again instead."""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import TwoFactor, User
from db.services.secret_box import SecretBox
from db.services.two_factor import reencrypt_secrets, rewrite_secrets, stale_secrets

OLD_KEY, NEW_KEY = "the old key of thirty-two characters or more", "the new key of thirty-two characters or more"
OLD, NEW = SecretBox([OLD_KEY]), SecretBox([NEW_KEY])
ROTATING = SecretBox([NEW_KEY, OLD_KEY])


async def user_with_secret(database, secret: str) -> User:
    async with database.sessionmaker() as db:
        user = User(email="ann@example.com", name="Ann", password_hash="x")
        db.add(user)
        await db.flush()
        db.add(TwoFactor(user_id=user.id, secret=secret, pending_secret=None))
        await db.commit()
        return user


async def the_api_replaces_the_secret(database, user: User, secret: str) -> None:
    async with database.sessionmaker.begin() as db:
        await db.execute(update(TwoFactor).where(TwoFactor.user_id == user.id).values(secret=secret))


async def stored(database, user: User) -> str:
    async with database.sessionmaker() as db:
        return ROTATING.decrypt(await db.scalar(select(TwoFactor.secret).where(TwoFactor.user_id == user.id)))


async def test_a_secret_replaced_after_the_rotation_read_it_is_not_overwritten(database):
    ann = await user_with_secret(database, OLD.encrypt("FIRSTSECRET"))
    async with database.sessionmaker() as rotation:
        stale = await stale_secrets(rotation, box=ROTATING)
        assert [row.user_id for row in stale] == [ann.id]
        await the_api_replaces_the_secret(database, ann, NEW.encrypt("SECONDSECRET"))  # ann set up again
        written, moved = await rewrite_secrets(rotation, stale)
        await rotation.commit()
    assert (written, [row.user_id for row in moved]) == (0, [ann.id])
    assert await stored(database, ann) == "SECONDSECRET"


async def test_a_row_replaced_under_the_old_key_is_read_again_and_rotated(database):
    ann = await user_with_secret(database, OLD.encrypt("FIRSTSECRET"))
    async with database.sessionmaker() as rotation:
        stale = await stale_secrets(rotation, box=ROTATING)
        # A process not yet given the new key writes with the old one.
        await the_api_replaces_the_secret(database, ann, OLD.encrypt("SECONDSECRET"))
        _, moved = await rewrite_secrets(rotation, stale)
        again = await stale_secrets(rotation, box=ROTATING, user_ids=[row.user_id for row in moved])
        assert await rewrite_secrets(rotation, again) == (1, [])
        await rotation.commit()
    async with database.sessionmaker() as db:
        secret = await db.scalar(select(TwoFactor.secret).where(TwoFactor.user_id == ann.id))
    assert NEW.decrypt(secret) == "SECONDSECRET"


async def test_the_rotation_rewrites_rows_nobody_touched(database):
    ann = await user_with_secret(database, OLD.encrypt("FIRSTSECRET"))
    async with database.sessionmaker() as rotation:
        assert await reencrypt_secrets(rotation, box=ROTATING) == 1
        assert await reencrypt_secrets(rotation, box=ROTATING) == 0
        await rotation.commit()
    assert await stored(database, ann) == "FIRSTSECRET"
