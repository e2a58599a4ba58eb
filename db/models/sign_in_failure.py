"""The `sign_in_failures` table: recent failed sign-ins, the shared state of the rate limiter."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime, utcnow


class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failures"
    __table_args__ = (
        sa.Index("ix_sign_in_failures_email_created", "email", "created_at"),
        sa.Index("ix_sign_in_failures_ip_created", "ip_address", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, nullable=False)  # lower-cased
    ip_address: str | None = Field(default=None, max_length=45)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
