"""The `users` table: a person who can sign in."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from db.models.mixins import Timestamps, UUIDPrimaryKey
from db.types import UTCDateTime


class Role(str, enum.Enum):
    USER = "USER"
    ADMIN = "ADMIN"


class User(UUIDPrimaryKey, Timestamps, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # One account per address whatever its case: enforced here so concurrent sign-ups race safely.
        sa.Index("uq_users_email_lower", sa.func.lower(sa.column("email")), unique=True),
        # The `users` connection's orderings, each with the ID as tie-breaker (migration 0002).
        sa.Index("ix_users_created_at_id", "created_at", "id"),
        sa.Index("ix_users_name_lower_id", sa.func.lower(sa.column("name")), "id"),
        sa.Index("ix_users_last_sign_in_at_id", "last_sign_in_at", "id"),
    )

    email: str = Field(max_length=320, nullable=False)
    name: str = Field(max_length=100, nullable=False)
    image: str | None = Field(default=None, max_length=2048)
    email_verified: bool = Field(default=False, nullable=False)
    role: Role = Field(
        default=Role.USER,
        sa_type=sa.Enum(Role, native_enum=False, length=16, create_constraint=True, name="user_role"),
        nullable=False,
    )
    is_active: bool = Field(default=True, nullable=False)
    password_hash: str = Field(max_length=255, nullable=False)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
