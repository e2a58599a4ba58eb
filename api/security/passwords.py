"""Argon2id password hashing, run in worker threads so the event loop keeps serving."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.settings import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("usergraph dummy password, never anyone's")


def hash_password_sync(password: str) -> str:
    return _hasher().hash(password)


def verify_password_sync(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one used outdated parameters)."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Verify against `password_hash`; with None (unknown email) verify a dummy so both take as long."""
    if password_hash is None:
        await asyncio.to_thread(verify_password_sync, _dummy_hash(), password)
        return False, None
    return await asyncio.to_thread(verify_password_sync, password_hash, password)
