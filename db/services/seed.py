"""Demo data: many realistic-looking users and sessions, bulk-inserted (COPY on PostgreSQL).

Seeding appends: emails already in the database (by `email_key`) are skipped over, so running it twice
never violates the unique index. Everyone shares one demo password, hashed once.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, Session, User
from db.services.validation import email_key
from db.types import utcnow

DEMO_PASSWORD = "demo-password-123!"
ADMIN_EMAIL = "admin@example.com"
CHUNK_USERS = 5_000

_GIVEN = (
    "Ada Alan Amara Ana Anders Aiko Bea Bilal Carlos Chen Chloe Dario Diego Elif Emma Erik Fatima Femi "
    "Grace Hana Hugo Ines Ivan Jamal Jana Jin Joao Julia Kai Kenji Lars Leila Liam Lina Luca Maya Mateo "
    "Mei Mia Nadia Naveen Nia Noah Nora Olga Omar Oscar Paula Priya Rafael Rosa Sami Sara Sofia Tariq "
    "Tomas Una Valentina Wei Yara Yusuf Zoe"
).split()
_FAMILY = (
    "Abe Adeyemi Alvarez Andersen Bauer Becker Chen Costa Dubois Duarte Eriksson Fischer Garcia Gupta "
    "Hansen Haddad Ivanova Jensen Kaur Kim Kowalski Larsen Lee Lopez Martin Moreau Muller Nakamura "
    "Nguyen Novak Okafor Olsen Park Patel Perez Petrov Rossi Santos Schmidt Silva Singh Smith Tanaka "
    "Torres Virtanen Wagner Wang Weber Williams Yilmaz Zhang"
).split()
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "corp.example.org")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    "usergraph-cli/1.0",
    None,
)
_USER_COLUMNS = (
    "id", "email", "email_key", "name", "image", "email_verified", "role", "is_active", "password_hash",
    "last_sign_in_at", "created_at", "updated_at",
)
_SESSION_COLUMNS = (
    "id", "user_id", "token_hash", "expires_at", "revoked_at", "ip_address", "user_agent",
    "created_at", "updated_at",
)
_HISTORY = timedelta(days=730)  # accounts were created over the last two years


@dataclass(frozen=True)
class SeedResult:
    users: int
    sessions: int
    admin_created: bool


Progress = Callable[[int, int], None]  # (users done, users total)


async def seed_demo_data(
    db: AsyncSession,
    *,
    users: int,
    sessions_per_user: int,
    password_hash: str,
    session_ttl: timedelta,
    now: datetime | None = None,
    random_seed: int = 7,
    progress: Progress | None = None,
) -> SeedResult:
    """Insert `users` users (the admin demo account first, if missing), each with `sessions_per_user`
    sessions of varied age and state. The caller commits."""
    now = now or utcnow()
    taken = set(await db.scalars(select(User.email_key)))  # also starts the transaction
    rows = _DemoRows(random.Random(random_seed), now, password_hash, session_ttl, taken, len(taken))
    write = _copy_writer if db.bind.dialect.name == "postgresql" else _insert_writer
    admin_created = email_key(ADMIN_EMAIL) not in taken
    done = 0
    if progress:
        progress(0, users)
    while done < users:
        count = min(CHUNK_USERS, users - done)
        user_rows, session_rows = rows.chunk(count, sessions_per_user, admin_first=admin_created and done == 0)
        await write(db, User, _USER_COLUMNS, user_rows)
        await write(db, Session, _SESSION_COLUMNS, session_rows)
        done += count
        if progress:
            progress(done, users)
    return SeedResult(users=users, sessions=users * sessions_per_user, admin_created=admin_created and users > 0)


async def _copy_writer(db: AsyncSession, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    # COPY is several times faster than multi-row INSERT; it runs in the session's transaction.
    connection = await (await db.connection()).get_raw_connection()
    await connection.driver_connection.copy_records_to_table(
        model.__tablename__, records=rows, columns=columns
    )


async def _insert_writer(db: AsyncSession, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    # Core executemany through the model's table, so UUIDs and UTC datetimes get SQLite's storage form.
    if rows:
        await db.execute(insert(model.__table__), [dict(zip(columns, row)) for row in rows])


class _DemoRows:
    """Deterministic people and sessions (random tokens aside), as tuples in `_*_COLUMNS` order."""

    def __init__(
        self, rng: random.Random, now: datetime, password_hash: str, ttl: timedelta, taken: set[str], serial: int
    ) -> None:
        self.rng, self.now, self.password_hash, self.ttl = rng, now, password_hash, ttl
        self.taken, self.serial = taken, serial

    def chunk(self, count: int, sessions_per_user: int, *, admin_first: bool) -> tuple[list[tuple], list[tuple]]:
        users, sessions = [], []
        tokens = iter(_token_hashes(count * sessions_per_user))
        for index in range(count):
            admin = admin_first and index == 0
            user_id = uuid.uuid4()
            created = self.now - _HISTORY * self.rng.random() ** 2 if not admin else self.now - _HISTORY
            user_sessions = [self._session(user_id, created, next(tokens)) for _ in range(sessions_per_user)]
            sessions.extend(user_sessions)
            last_sign_in = max((row[7] for row in user_sessions), default=None)
            users.append(self._user(user_id, created, last_sign_in, admin=admin))
        return users, sessions

    def _user(self, user_id: uuid.UUID, created: datetime, last_sign_in: datetime | None, *, admin: bool) -> tuple:
        rng = self.rng
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        email = ADMIN_EMAIL if admin else self._unique_email(given, family)
        name = "Demo Admin" if admin else f"{given} {family}"
        image = f"https://images.example.com/avatars/{user_id.hex[:12]}.png" if rng.random() < 0.3 else None
        verified = admin or rng.random() < 0.8
        active = admin or rng.random() < 0.97
        updated = max(created, last_sign_in or created)
        role = (Role.ADMIN if admin else Role.USER).value
        return (user_id, email, email_key(email), name, image, verified, role, active, self.password_hash, last_sign_in, created, updated)

    def _unique_email(self, given: str, family: str) -> str:
        while True:
            self.serial += 1
            email = f"{given}.{family}{self.serial}@{self.rng.choice(_DOMAINS)}".lower()
            key = email_key(email)
            if key not in self.taken:
                self.taken.add(key)
                return email

    def _session(self, user_id: uuid.UUID, user_created: datetime, token_hash: str) -> tuple:
        rng = self.rng
        # Most sessions are recent (so many are active); the rest spread over the account's life and
        # have mostly expired.
        created = self.now - self.ttl * 0.95 * rng.random()
        if rng.random() >= 0.6 or created < user_created:
            created = user_created + (self.now - user_created) * rng.random()
        expires = created + self.ttl
        revoked = None
        if rng.random() < 0.1:
            revoked = created + (min(expires, self.now) - created) * rng.random()
        ip = _ip_address(rng)
        agent = rng.choice(_USER_AGENTS)
        updated = revoked or created
        return (uuid.uuid4(), user_id, token_hash, expires, revoked, ip, agent, created, updated)


def _token_hashes(count: int) -> Iterator[str]:
    """Random 64-hex values in the shape of SHA-256 token hashes; no token exists for them."""
    blob = os.urandom(32 * count).hex()
    return (blob[i : i + 64] for i in range(0, 64 * count, 64))


def _ip_address(rng: random.Random) -> str:
    # Documentation ranges (RFC 5737 / RFC 3849): realistic-looking, routable nowhere.
    kind = rng.random()
    if kind < 0.75:
        prefix = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{prefix}.{rng.randrange(1, 255)}"
    return f"2001:db8::{rng.randrange(1, 0xFFFF):x}:{rng.randrange(1, 0xFFFF):x}"
