"""The `users` table: a person who can sign in.

`email` is kept as the user typed it (after validation's normalisation); `email_key` is the form it is
compared and kept unique in (`email_key()`), computed in Python. Every ORM write of `email` sets the key
(a `set` event, constructor included) and a Core INSERT without it gets it by default; a Core UPDATE of
`email` must set `email_key` beside it (db/services/admin.py does).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Field

from db.models.mixins import Timestamps, UUIDPrimaryKey
from db.services.validation import email_key
from db.types import UTCDateTime


class Role(str, enum.Enum):
    USER = "USER"
    ADMIN = "ADMIN"


class BanRule:
    """Whether a ban is in force: shared by the ORM row and its read-only record (db/records.py)."""

    __slots__ = ()

    def is_banned_at(self, now: datetime) -> bool:
        return self.banned_at is not None and (self.ban_expires_at is None or self.ban_expires_at > now)


def _key_of_inserted_email(context) -> str:
    """The default of `email_key` in a Core INSERT that leaves it out."""
    return email_key(context.get_current_parameters()["email"])


class User(UUIDPrimaryKey, Timestamps, BanRule, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # One account per address whatever its case: enforced here so concurrent sign-ups race safely
        # (migration 0003). It also serves the EMAIL ordering.
        sa.Index("uq_users_email_key", "email_key", unique=True),
        # The `users` connection's orderings, each with the ID as tie-breaker (migration 0002).
        sa.Index("ix_users_created_at_id", "created_at", "id"),
        sa.Index("ix_users_name_lower_id", sa.func.lower(sa.column("name")), "id"),
        sa.Index("ix_users_last_sign_in_at_id", "last_sign_in_at", "id"),
    )

    email: str = Field(max_length=320, nullable=False)
    # No length limit: NFKC may expand a character into several.
    email_key: str = Field(nullable=False, sa_column_kwargs={"default": _key_of_inserted_email})
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
    # Kept in step with `two_factor.secret` by db/services/two_factor.py, in the same transaction.
    # No client-side default: a Core INSERT of a column list from before 0007 leaves it to the server's.
    two_factor_enabled: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # A ban (db/services/bans.py): in force from `banned_at` until `ban_expires_at`, or for good if that is null.
    banned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ban_reason: str | None = Field(default=None, max_length=500)
    ban_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@event.listens_for(User.email, "set")
def _keep_email_key_in_step(user: User, email: str, _old: object, _initiator: object) -> None:
    user.email_key = email_key(email)
