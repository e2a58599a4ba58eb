"""The `security_events` table: an append-only log of what happened to accounts (db/services/events.py).

Users may be deleted; their events stay (foreign keys SET NULL, the email kept as a snapshot)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime, utcnow


class SecurityEvent(SQLModel, table=True):
    __tablename__ = "security_events"
    __table_args__ = (
        # Keyset pages, newest first: one user's events, everyone's, and the admins' filters.
        sa.Index("ix_security_events_user_occurred", "user_id", sa.text("occurred_at DESC"), sa.text("id DESC")),
        sa.Index("ix_security_events_occurred", sa.text("occurred_at DESC"), sa.text("id DESC")),
        sa.Index("ix_security_events_actor_occurred", "actor_id", sa.text("occurred_at DESC"), sa.text("id DESC")),
        sa.Index("ix_security_events_type_occurred", "type", sa.text("occurred_at DESC"), sa.text("id DESC")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: str = Field(max_length=40, nullable=False)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    )
    actor_kind: str = Field(max_length=16, nullable=False)
    user_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    )
    email: str | None = Field(default=None, max_length=320)
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=512)
    request_id: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    impersonation: bool = Field(default=False, nullable=False)
