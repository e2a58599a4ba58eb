"""Argon2id password hashing, run in worker threads so the event loop keeps serving other requests, at most
a set number at once."""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from db.services.errors import Problem
from db.services.validation import check_password



@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_cost: int
    parallelism: int


@lru_cache(maxsize=8)
def _hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost, memory_cost=params.memory_cost, parallelism=params.parallelism
    )


@lru_cache(maxsize=8)
def _dummy_hash(params: Argon2Params) -> str:
    return _hasher(params).hash("usergraph dummy password, never anyone's")


def hash_password_sync(password: str, params: Argon2Params) -> str:
    return _hasher(params).hash(password)


def verify_password_sync(
    password_hash: str | None, password: str, params: Argon2Params
) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one used outdated parameters).

    With no hash (unknown email) a dummy is verified, so that case takes as long as a wrong password.
    """
    hasher = _hasher(params)
    if password_hash is None:
        try:
            hasher.verify(_dummy_hash(params), password)
        except VerifyMismatchError:
            pass
        return False, None
    try:
        hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


# Niceness of the hashing threads (Linux: per thread; Argon2's own lane threads inherit it). The event
# loop thread keeps the default, so under a sign-in burst the scheduler serves other requests first.
HASHING_NICENESS = 10


def _lower_thread_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: hash at normal priority
        pass


hashing_threads = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 2, thread_name_prefix="password-hashing", initializer=_lower_thread_priority
)


async def _in_hashing_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(hashing_threads, function, *args)


async def hash_password(password: str, params: Argon2Params) -> str:
    return await _in_hashing_thread(hash_password_sync, password, params)


async def verify_password(
    password_hash: str | None, password: str, params: Argon2Params
) -> tuple[bool, str | None]:
    return await _in_hashing_thread(verify_password_sync, password_hash, password, params)


# Password work is CPU-bound: more concurrent hashes than cores only make each slower, every waiting
# sign-in would hold a pooled database connection, and a hash on every core starves the event loop.
# Flows that hash take a slot first; PASSWORD_HASHING_CONCURRENCY sets how many slots there are.
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def hashing_slot(concurrency: int) -> asyncio.Semaphore:
    """The running loop's limit on concurrent password flows: `async with hashing_slot(n): ...`."""
    by_size = _slots.setdefault(asyncio.get_running_loop(), {})
    slot = by_size.get(concurrency)
    if slot is None:
        slot = by_size[concurrency] = asyncio.Semaphore(concurrency)
    return slot


@dataclass(frozen=True)
class PasswordHashing:
    """How this app hashes passwords: its Argon2id parameters and how many flows may hash at once."""

    params: Argon2Params
    concurrency: int

    def slot(self) -> asyncio.Semaphore:
        """Take before any database connection, and never wait for it while holding one."""
        return hashing_slot(self.concurrency)

    async def hash(self, password: str) -> str:
        return await hash_password(password, self.params)

    async def verify(self, password_hash: str | None, password: str) -> tuple[bool, str | None]:
        return await verify_password(password_hash, password, self.params)

    async def check(self, password: str, field: tuple[str, ...], user_inputs: list[str]) -> Problem | None:
        """The password's length and strength, estimated in a hashing thread (it costs CPU too)."""
        return await _in_hashing_thread(check_password, password, field, user_inputs)
