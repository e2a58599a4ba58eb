"""What admins do to other accounts: create, update, delete, sign out everywhere.

Rule: there is always an active admin (active, not banned). Demoting, deactivating, banning or deleting
one locks the active admins' rows first (PostgreSQL; SQLite has a single writer anyway) and the write
itself is conditional on another active admin existing, so two admins demoting each other at once cannot
both succeed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, delete, exists, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Role, User
from db.services import events, users
from db.services.email_flows import notify_email_changed, notify_password_changed
from db.services.errors import ErrorCode, Problem, Rejected
from db.services.events import EventType
from db.services.mail_messages import MailPolicy
from db.services.origin import SYSTEM, Actor, Client
from db.services.passwords import PasswordHashing
from db.types import utcnow
from db.unit_of_work import UnitOfWork
from db.services.sessions import revoke_impersonations_by, revoke_sessions
from db.services.validation import check_password_length, email_key, normalize_email, normalize_image, normalize_name

LAST_ADMIN = "The last active admin cannot be demoted, deactivated or deleted"
USER_NOT_FOUND = "No such user"

create_user = users.create_user


async def _get_user(db: AsyncSession, user_id: uuid.UUID | None, field: tuple[str, ...]) -> User:
    user = await db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, USER_NOT_FOUND, field))
    return user


async def _refuse_as_last_admin(db: AsyncSession, user_id: uuid.UUID, field: tuple[str, ...]) -> None:
    """A guarded write changed nothing: the user was deleted meanwhile, or is the last active admin."""
    if await db.scalar(select(User.id).where(User.id == user_id)) is None:
        raise Rejected(Problem(ErrorCode.NOT_FOUND, USER_NOT_FOUND, ("id",)))
    raise Rejected(Problem(ErrorCode.INVALID_INPUT, LAST_ADMIN, field))


def _active_admin(user: type[User]) -> ColumnElement[bool]:
    """An admin who can act: active and not banned (a ban past its end is over)."""
    now = utcnow()
    unbanned = or_(user.banned_at.is_(None), and_(user.ban_expires_at.is_not(None), user.ban_expires_at <= now))
    return and_(user.role == Role.ADMIN, user.is_active.is_(True), unbanned)


async def _lock_active_admins(db: AsyncSession) -> None:
    """Row locks on every active admin; concurrent admin changes queue here (no-op on SQLite)."""
    await db.execute(select(User.id).where(_active_admin(User)).with_for_update())


def _unless_last_active_admin(user_id: uuid.UUID) -> ColumnElement[bool]:
    """True for a row that is not an active admin, or when another active admin exists. Evaluated by
    the write itself on the row's current state, not on what was read earlier."""
    other = aliased(User)
    another = exists().where(_active_admin(other), other.id != user_id)
    return or_(not_(_active_admin(User)), another)


# For the other admin changes (db/services/bans.py, impersonation.py), which follow the same rule.
lock_active_admins = _lock_active_admins
unless_last_active_admin = _unless_last_active_admin


async def update_user(
    unit: UnitOfWork,
    *,
    user_id: uuid.UUID | None,
    email: str | None = None,
    name: str | None = None,
    image: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
    email_verified: bool | None = None,
    password: str | None = None,
    passwords: PasswordHashing | None = None,
    mail: MailPolicy,
    field_prefix: tuple[str, ...] = ("input",),
    actor: Actor = SYSTEM,
    client: Client = Client(),
) -> User:
    """Change any of a user's fields; None leaves a field as it is and an empty `image` clears it.

    Every field is checked before anything is written; a new password or deactivation revokes all
    of the user's sessions. A new password or address gets the notices the user's own change would
    (`mail`): the password's to the account's address, the address's to the old one. Raises `Rejected`
    with every problem found.
    """
    async with unit.db() as db:
        user = await _get_user(db, user_id, ("id",))
    values: dict[str, object] = {}
    problems: list[Problem] = []
    if email is not None:
        normalized, problem = normalize_email(email, (*field_prefix, "email"))
        if problem:
            problems.append(problem)
        elif normalized != user.email:
            key = email_key(normalized)
            if key != user.email_key:
                async with unit.db() as db:
                    other = await users.find_by_email(db, normalized)
                if other is not None and other.id != user.id:
                    problems.append(Problem(ErrorCode.EMAIL_TAKEN, users.EMAIL_TAKEN, (*field_prefix, "email")))
            # A Core UPDATE: no ORM event keeps the key in step, so it is written here beside the email.
            values["email"], values["email_key"] = normalized, key
    if name is not None:
        normalized, problem = normalize_name(name, (*field_prefix, "name"))
        if problem:
            problems.append(problem)
        values["name"] = normalized
    if image is not None:
        normalized, problem = normalize_image(image, (*field_prefix, "image"))
        if problem:
            problems.append(problem)
        values["image"] = normalized
    if password is not None:
        inputs = [email or user.email, name or user.name]
        problem = check_password_length(password, (*field_prefix, "password"))
        if problem:
            problems.append(problem)
    if problems:
        raise Rejected(*problems)
    if password is not None and passwords is None:
        raise ValueError("a new password needs the app's PasswordHashing")

    if role is not None:
        values["role"] = role
    if is_active is not None:
        values["is_active"] = is_active
    if email_verified is not None:
        values["email_verified"] = email_verified
    if password is not None:
        values["password_hash"] = await users.hash_new_password(
            unit, passwords, password, field=(*field_prefix, "password"), user_inputs=inputs
        )
    if not values:
        return user
    old_role = user.role
    # Another address, not the same one in another case (which signs in as before, and is a profile edit).
    moved_from = user.email if values.get("email_key", user.email_key) != user.email_key else None
    async with unit.db() as db:
        updated = await _write_user_changes(
            db, user=user, values=values, role=role, is_active=is_active,
            new_password=password is not None, field_prefix=field_prefix,
        )
        await _record_user_changes(db, updated, values, old_role=old_role, moved_from=moved_from, actor=actor,
                                   client=client)
        if password is not None:
            await notify_password_changed(db, mail, updated, how="set by an administrator")
        if moved_from is not None:
            await notify_email_changed(db, mail, updated, old_email=moved_from, how="changed by an administrator")
        return updated


# The columns an admin changes, as the API names them (for USER_UPDATED's `fields`).
_FIELD_NAMES = {"email": "email", "name": "name", "image": "image", "is_active": "isActive",
                "email_verified": "emailVerified"}


async def _record_user_changes(
    db: AsyncSession,
    user: User,
    values: dict[str, object],
    *,
    old_role: Role,
    moved_from: str | None,
    actor: Actor,
    client: Client,
) -> None:
    """The update's events: ROLE_CHANGED, PASSWORD_CHANGED, EMAIL_CHANGED (the account moved to another
    address; the email snapshot is the new one, as confirmEmailChange records it) and USER_UPDATED (the
    other fields, by name; a change of the email's case only is one of them)."""
    actor = events.towards(actor, user.id)
    common = {"user_id": user.id, "email": user.email, "actor": actor, "client": client}
    if "role" in values and values["role"] != old_role:
        await events.record(db, EventType.ROLE_CHANGED, **common,
                            details={"from": Role(old_role).value, "to": Role(values["role"]).value})
    if "password_hash" in values:
        await events.record(db, EventType.PASSWORD_CHANGED, **common)
    if moved_from is not None:
        await events.record(db, EventType.EMAIL_CHANGED, **common, details={"old_email": moved_from})
    fields = [name for column, name in _FIELD_NAMES.items()
              if column in values and not (column == "email" and moved_from is not None)]
    if fields:
        await events.record(db, EventType.USER_UPDATED, **common, details={"fields": fields})


async def _write_user_changes(
    db: AsyncSession,
    *,
    user: User,
    values: dict[str, object],
    role: Role | None,
    is_active: bool | None,
    new_password: bool,
    field_prefix: tuple[str, ...],
) -> User:
    statement = update(User).where(User.id == user.id).values(**values).returning(User)
    demoting = role == Role.USER or is_active is False
    if demoting:
        await _lock_active_admins(db)
        statement = statement.where(_unless_last_active_admin(user.id))
    try:
        # A savepoint, so a duplicate email (a race the unique index settles) leaves the transaction usable.
        async with db.begin_nested():
            updated = (
                await db.execute(statement, execution_options={"populate_existing": True})
            ).scalar_one_or_none()
    except IntegrityError:
        raise Rejected(Problem(ErrorCode.EMAIL_TAKEN, users.EMAIL_TAKEN, (*field_prefix, "email"))) from None
    if updated is None:
        field = (*field_prefix, "role" if role == Role.USER else "isActive")
        await _refuse_as_last_admin(db, user.id, field)
    if new_password or is_active is False:
        await revoke_sessions(db, user_id=user.id)
    if demoting:
        await revoke_impersonations_by(db, user.id)
    return updated


async def delete_user(
    db: AsyncSession, *, user_id: uuid.UUID | None, actor: Actor = SYSTEM, client: Client = Client()
) -> uuid.UUID:
    """Delete a user; the database deletes their sessions with them (ON DELETE CASCADE), the impersonation
    sessions they opened too, and keeps their events (SET NULL; the event below keeps the email)."""
    user = await _get_user(db, user_id, ("id",))
    await _lock_active_admins(db)
    statement = delete(User).where(User.id == user.id, _unless_last_active_admin(user.id))
    result = await db.execute(statement, execution_options={"synchronize_session": False})
    if not result.rowcount:
        await _refuse_as_last_admin(db, user.id, ("id",))
    await events.record_deletion(db, user_id=user.id, email=user.email, actor=events.towards(actor, user.id),
                                 client=client)
    db.expunge(user)
    return user.id


async def revoke_user_sessions(
    db: AsyncSession, *, user_id: uuid.UUID | None, actor: Actor = SYSTEM, client: Client = Client()
) -> int:
    """Sign a user out everywhere; returns how many active sessions were revoked."""
    user = await _get_user(db, user_id, ("userId",))
    count = await revoke_sessions(db, user_id=user.id)
    await events.record(db, EventType.SESSION_REVOKED, user_id=user.id, email=user.email,
                        actor=events.towards(actor, user.id), client=client, details={"count": count})
    return count
