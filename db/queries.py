"""Batched reads shared by the DataLoaders and the services: one statement per call, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Session, User


async def users_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User | None]:
    rows = (await session.scalars(select(User).where(User.id.in_(ids)))).all()
    by_id = {row.id: row for row in rows}
    return [by_id.get(id_) for id_ in ids]


async def sessions_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Session | None]:
    rows = (await session.scalars(select(Session).where(Session.id.in_(ids)))).all()
    by_id = {row.id: row for row in rows}
    return [by_id.get(id_) for id_ in ids]
