"""Outside review of `rotate-secret-key` (two_factor.reencrypt_secrets) run while the API serves: the
rotation keeps one transaction open over every row it rewrote until it commits, and the API's own
conditional writes on those rows compare the ciphertext they read before waiting on it."""

from __future__ import annotations

import asyncio

import pyotp
from sqlalchemy import select

from db.models import TwoFactor, User
from db.services.secret_box import SecretBox
from db.services.two_factor import CodeKind, TwoFactorPolicy, accept, reencrypt_secrets
from db.types import utcnow

OLD_KEY, NEW_KEY = "the old key of thirty-two characters or more", "the new key of thirty-two characters or more"
OLD = SecretBox([OLD_KEY])
ROTATING = SecretBox([NEW_KEY, OLD_KEY])
SECRET = pyotp.random_base32()


async def test_a_right_code_given_while_the_rotation_runs_is_accepted(database):
    """A user signs in with a current authenticator code while `rotate-secret-key` is running: the API reads
    the row (old ciphertext), then its conditional UPDATE (`secret == stored`) waits on the rotation's
    uncommitted rewrite of that row; once the rotation commits the ciphertext differs, and the right code
    is refused (INVALID_CODE, counted as a failed sign-in). The window is the whole rotation: every row it
    rewrote stays locked until it commits all of them."""
    async with database.sessionmaker() as db:
        user = User(email="ann@example.com", name="Ann", password_hash="x", two_factor_enabled=True)
        db.add(user)
        await db.flush()
        db.add(TwoFactor(user_id=user.id, secret=OLD.encrypt(SECRET), pending_secret=None))
        await db.commit()
    now = utcnow()
    code = pyotp.TOTP(SECRET).at(now)
    api_policy = TwoFactorPolicy(secrets=ROTATING, clock=lambda: now)

    async def sign_in_code() -> CodeKind | None:
        async with database.sessionmaker() as db:
            kind = await accept(db, policy=api_policy, user_id=user.id, code=code, now=now)
            await db.commit()
            return kind

    async with database.sessionmaker() as rotation:
        assert await reencrypt_secrets(rotation, box=ROTATING) == 1
        api = asyncio.create_task(sign_in_code())
        await asyncio.sleep(0.5)  # the API has read the row and waits on the rotation's lock
        await rotation.commit()
    assert await asyncio.wait_for(api, 20) is CodeKind.TOTP

    async with database.sessionmaker() as db:
        assert ROTATING.decrypt(await db.scalar(select(TwoFactor.secret).where(TwoFactor.user_id == user.id))) == SECRET
