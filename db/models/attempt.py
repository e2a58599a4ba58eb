"""The `attempts` table: recent attempts the rate limiter counts (password checks, sign-ups), shared by
every API process."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime, utcnow


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    __table_args__ = (
        sa.Index("ix_attempts_action_email_created", "action", "email", "created_at"),
        sa.Index("ix_attempts_action_ip_created", "action", "ip_address", "created_at"),
        sa.Index("ix_attempts_created", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # What was attempted: `password` (a password check: sign-in, change, deletion) or `sign_up`.
    action: str = Field(max_length=32, nullable=False)
    email: str | None = Field(default=None, max_length=320)  # the limiter's key of the address
    ip_address: str | None = Field(default=None, max_length=45)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
