"""Creating, finding and editing users."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, User
from db.services import events
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.origin import SYSTEM, Actor, Client
from db.services.passwords import PasswordHashing
from db.unit_of_work import UnitOfWork
from db.services.validation import check_password_length, email_key, normalize_email, normalize_image, normalize_name

EMAIL_TAKEN = "An account with this email already exists"


def email_taken(field: tuple[str, ...]) -> Problem:
    return Problem(ErrorCode.EMAIL_TAKEN, EMAIL_TAKEN, field)


async def find_by_email(db: AsyncSession, email: str) -> User | None:
    """The user whose email has the same `email_key`, whatever its case or Unicode form."""
    if "\x00" in email:
        return None  # no stored email has one, and PostgreSQL refuses NUL in a query parameter
    return await db.scalar(select(User).where(User.email_key == email_key(email)))


async def insert_user(db: AsyncSession, user: User, *, field: tuple[str, ...]) -> User:
    """Insert in a savepoint, so a duplicate email (a race the index settles) leaves the transaction usable."""
    try:
        async with db.begin_nested():
            db.add(user)
    except IntegrityError:
        raise Rejected(email_taken(field)) from None
    return user


@dataclass(frozen=True)
class NewUser:
    """A new user's fields once every one of them is valid."""

    email: str
    name: str


def check_new_user(*, email: str, name: str, password: str, field_prefix: tuple[str, ...] = ("input",)) -> NewUser:
    """Validate every field at once (the password's length; its strength costs CPU and is estimated
    later, by `PasswordHashing.check`); raises `Rejected` with all the problems."""
    normalized_email, email_problem = normalize_email(email, (*field_prefix, "email"))
    normalized_name, name_problem = normalize_name(name, (*field_prefix, "name"))
    password_problem = check_password_length(password, (*field_prefix, "password"))
    problems = [p for p in (email_problem, name_problem, password_problem) if p]
    if problems:
        raise Rejected(*problems)
    return NewUser(email=normalized_email, name=normalized_name)


async def create_user(
    unit: UnitOfWork,
    *,
    email: str,
    name: str,
    password: str,
    passwords: PasswordHashing,
    role: Role = Role.USER,
    email_verified: bool = False,
    field_prefix: tuple[str, ...] = ("input",),
    actor: Actor = SYSTEM,
    client: Client = Client(),
) -> User:
    """Validate every field at once, hash the password off the loop and insert; raises `Rejected`.
    Recorded as USER_CREATED by `actor` (the CLI: SYSTEM)."""
    new = check_new_user(email=email, name=name, password=password, field_prefix=field_prefix)
    password_hash = await hash_new_password(
        unit, passwords, password, field=(*field_prefix, "password"), user_inputs=[email, name]
    )
    async with unit.db() as db:
        if await find_by_email(db, new.email) is not None:
            raise Rejected(email_taken((*field_prefix, "email")))
        user = User(email=new.email, name=new.name, role=role, email_verified=email_verified, password_hash=password_hash)
        user = await insert_user(db, user, field=(*field_prefix, "email"))
        await events.record(db, EventType.USER_CREATED, user_id=user.id, email=user.email, actor=actor, client=client,
                            details={"role": Role(role).value})
        return user


async def hash_new_password(
    unit: UnitOfWork, passwords: PasswordHashing, password: str, *, field: tuple[str, ...], user_inputs: list[str]
) -> str:
    """Estimate the strength of a password an admin (or the CLI) sets (`Rejected` when weak) and hash it,
    holding no connection meanwhile where that is possible: when the operation has written nothing yet,
    its connection is handed back and a hashing slot taken. When an earlier field of the same operation
    wrote, its transaction must stay whole: the work then runs holding the connection, without waiting
    for a slot (which could wait on connections in turn)."""
    released = await unit.release_if_unwritten()
    async with passwords.slot() if released else contextlib.nullcontext():
        weak = await passwords.check(password, field, user_inputs)
        if weak:
            raise Rejected(weak)
        return await passwords.hash(password)


async def update_profile(
    db: AsyncSession,
    *,
    user: User,
    name: str | None = None,
    image: str | None = None,
    update_image: bool = False,
    field_prefix: tuple[str, ...] = ("input",),
    acting: Actor | None = None,
    client: Client = Client(),
) -> User:
    """Change the name (when given) and the image (when `update_image`; None or "" removes it); with
    `acting`, recorded as USER_UPDATED."""
    new_name, name_problem = normalize_name(name, (*field_prefix, "name")) if name is not None else (None, None)
    new_image, image_problem = normalize_image(image, (*field_prefix, "image"))
    problems = [p for p in (name_problem, image_problem if update_image else None) if p]
    if problems:
        raise Rejected(*problems)
    if name is not None:
        user.name = new_name
    if update_image:
        user.image = new_image
    await db.flush()
    fields = [name for name, changed in (("name", name is not None), ("image", update_image)) if changed]
    if acting is not None and fields:
        await events.record(db, EventType.USER_UPDATED, user_id=user.id, email=user.email, actor=acting,
                            client=client, details={"fields": fields})
    return user
