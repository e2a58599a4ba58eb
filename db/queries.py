"""Batched reads shared by the DataLoaders and the services: one statement per call, results in key order.
They return read-only records (db/records.py), not ORM instances: nothing read here is written back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, Session, SessionStatus, User
from db.records import SessionRecord, UserRecord, make_session_record, make_user_record, record_columns
from db.services.pagination import Ordering, SortKey
from db.types import utcnow


_USERS, _SESSIONS = User.__table__, Session.__table__


async def users_by_ids(db: AsyncSession, ids: Sequence[uuid.UUID]) -> list[UserRecord | None]:
    statement = select(*record_columns(UserRecord, _USERS)).where(_USERS.c.id.in_(ids))
    by_id = {row.id: row for row in map(make_user_record, await _rows(db, statement))}
    return [by_id.get(id_) for id_ in ids]


async def sessions_by_ids(db: AsyncSession, ids: Sequence[uuid.UUID]) -> list[SessionRecord | None]:
    statement = select(*record_columns(SessionRecord, _SESSIONS)).where(_SESSIONS.c.id.in_(ids))
    by_id = {row.id: row for row in map(make_session_record, await _rows(db, statement))}
    return [by_id.get(id_) for id_ in ids]


async def _rows(db: AsyncSession, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
    """Run a Core select on the operation's connection: plain rows, none of the ORM's loading machinery
    (which is most of what reading a row through the ORM costs)."""
    return await (await db.connection()).execute(statement, parameters)


# --- users: filters and orderings of the `users` connection ------------------------------------------

_USER_ORDER_KEYS = {
    "CREATED_AT": SortKey(User.created_at, datetime),
    # The email's key: the same order whatever the case, and its unique index serves it.
    "EMAIL": SortKey(User.email_key, str),
    "NAME": SortKey(func.lower(User.name), str),
    "LAST_SIGN_IN_AT": SortKey(User.last_sign_in_at, datetime, nullable=True),
}


def user_ordering(field: str, *, descending: bool = False) -> Ordering:
    return Ordering(field, (_USER_ORDER_KEYS[field], SortKey(User.id, uuid.UUID)), descending)


@dataclass(frozen=True)
class UserFilter:
    search: str | None = None
    role: Role | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_banned: bool | None = None
    now: datetime | None = None  # when `is_banned` is judged


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered_users(user_filter: UserFilter) -> Select:
    """Users matching the filter, as `UserRecord` columns (`make_user_record`), ready for `fetch_page`."""
    statement = select(*record_columns(UserRecord, _USERS))
    if user_filter.search:
        pattern = _like_pattern(user_filter.search.strip())
        # ILIKE on PostgreSQL; lower() LIKE lower() on SQLite, whose lower() only folds ASCII letters.
        statement = statement.where(
            or_(User.email.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"))
        )
    if user_filter.role is not None:
        statement = statement.where(User.role == user_filter.role)
    if user_filter.is_active is not None:
        statement = statement.where(User.is_active == user_filter.is_active)
    if user_filter.email_verified is not None:
        statement = statement.where(User.email_verified == user_filter.email_verified)
    if user_filter.is_banned is not None:
        now = user_filter.now or utcnow()
        banned = and_(User.banned_at.is_not(None), or_(User.ban_expires_at.is_(None), User.ban_expires_at > now))
        statement = statement.where(banned if user_filter.is_banned else not_(banned))
    return statement


# --- sessions of many users at once (the `User.sessions` loaders) -----------------------------------

SESSION_ORDERING = Ordering(
    "SESSIONS", (SortKey(Session.created_at, datetime), SortKey(Session.id, uuid.UUID)), descending=True
)


def session_position(row: Session | SessionRecord) -> tuple[datetime, uuid.UUID]:
    return row.created_at, row.id


def session_status_condition(status: SessionStatus | None, now: Any) -> ColumnElement[bool]:
    """Sessions of a status at `now` (a value or a bind parameter)."""
    columns = _SESSIONS.c
    if status is SessionStatus.REVOKED:
        return columns.revoked_at.is_not(None)
    if status is SessionStatus.EXPIRED:
        return and_(columns.revoked_at.is_(None), columns.expires_at <= now)
    if status is SessionStatus.ACTIVE:
        return and_(columns.revoked_at.is_(None), columns.expires_at > now)
    return true()


def _sessions_of_users_statement(status: SessionStatus | None, after: tuple[datetime, uuid.UUID] | None) -> Select:
    """Core select of up to `:limit` records per user of `:user_ids`, newest first, by user."""
    conditions = [
        _SESSIONS.c.user_id.in_(bindparam("user_ids", expanding=True)),
        session_status_condition(status, bindparam("now", type_=_SESSIONS.c.expires_at.type)),
    ]
    if after is not None:
        conditions.append(SESSION_ORDERING.after(after))
    rank = (
        func.row_number()
        .over(partition_by=_SESSIONS.c.user_id, order_by=[_SESSIONS.c.created_at.desc(), _SESSIONS.c.id.desc()])
        .label("rank")
    )
    ranked = select(*record_columns(SessionRecord, _SESSIONS), rank).where(*conditions).subquery()
    return (
        select(*record_columns(SessionRecord, ranked))
        .where(ranked.c.rank <= bindparam("limit"))
        .order_by(ranked.c.user_id, ranked.c.rank)
    )


# Built once per status: every page of users runs one, and building it cost more than running it.
_SESSIONS_OF_USERS = {status: _sessions_of_users_statement(status, None) for status in (*SessionStatus, None)}


async def sessions_of_users(
    db: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    status: SessionStatus | None,
    now: datetime,
) -> dict[uuid.UUID, list[SessionRecord]]:
    """Up to `limit` sessions per user, newest first, in ONE statement however many users there are."""
    statement = _SESSIONS_OF_USERS[status] if after is None else _sessions_of_users_statement(status, after)
    rows = await _rows(db, statement, {"user_ids": list(user_ids), "now": now, "limit": limit})
    pages: dict[uuid.UUID, list[SessionRecord]] = {id_: [] for id_ in user_ids}
    for row in rows:
        found = make_session_record(row)
        pages[found.user_id].append(found)
    return pages


async def session_counts(
    db: AsyncSession, user_ids: Sequence[uuid.UUID], *, status: SessionStatus | None, now: datetime
) -> dict[uuid.UUID, int]:
    statement = (
        select(Session.user_id, func.count())
        .where(Session.user_id.in_(user_ids), session_status_condition(status, now))
        .group_by(Session.user_id)
    )
    counts = dict.fromkeys(user_ids, 0)
    counts.update({user_id: n for user_id, n in await db.execute(statement)})
    return counts


async def users_with_sessions_at_or_before(
    db: AsyncSession,
    user_ids: Sequence[uuid.UUID],
    *,
    position: tuple[datetime, uuid.UUID],
    status: SessionStatus | None,
    now: datetime,
) -> set[uuid.UUID]:
    """Which users have a session at or before `position` (newer, in newest-first order)."""
    statement = (
        select(Session.user_id)
        .where(
            Session.user_id.in_(user_ids),
            session_status_condition(status, now),
            SESSION_ORDERING.at_or_after(position, reverse=True),
        )
        .distinct()
    )
    return set(await db.scalars(statement))
