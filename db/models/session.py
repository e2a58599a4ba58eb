"""The `sessions` table: one signed-in device or browser of a user."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from db.models.mixins import Timestamps, UUIDPrimaryKey
from db.types import UTCDateTime, utcnow


class SessionStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class StatusRule:
    """A session's status: shared by the ORM row and its read-only record (db/records.py)."""

    __slots__ = ()

    def status_at(self, now: datetime) -> SessionStatus:
        if self.revoked_at is not None:
            return SessionStatus.REVOKED
        if self.expires_at <= now:
            return SessionStatus.EXPIRED
        return SessionStatus.ACTIVE

    @property
    def status(self) -> SessionStatus:
        return self.status_at(utcnow())


class Session(UUIDPrimaryKey, Timestamps, StatusRule, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        # "This user's sessions, newest first", keyset-paginated by (created_at, id).
        sa.Index("ix_sessions_user_created", "user_id", sa.text("created_at DESC"), sa.text("id DESC")),
        # The impersonation sessions an admin opened, revoked when that admin loses the right (migration 0005).
        sa.Index("ix_sessions_impersonated_by", "impersonated_by_id"),
    )

    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    # SHA-256 hex of the bearer token; the token itself is never stored.
    token_hash: str = Field(max_length=64, nullable=False, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=512)
    # The admin who opened it with impersonateUser. CASCADE: deleting the admin ends these sessions, where
    # SET NULL would turn them into the user's own, unrestricted ones.
    impersonated_by_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    )
