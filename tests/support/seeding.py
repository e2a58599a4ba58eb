"""Demo users as `usergraph seed` writes them (admin@example.com first), for the browser tests."""

from __future__ import annotations

from datetime import timedelta

from api.policies import password_hashing
from db.services.passwords import hash_password_sync
from db.services.seed import DEMO_PASSWORD, seed_demo_data


async def seed(database, settings, users: int) -> None:
    async with database.sessionmaker() as db:
        await seed_demo_data(
            db, users=users, sessions_per_user=1, session_ttl=timedelta(days=30),
            password_hash=hash_password_sync(DEMO_PASSWORD, password_hashing(settings).params),
        )
        await db.commit()

