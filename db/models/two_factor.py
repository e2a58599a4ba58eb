"""Two-factor sign-in: a user's authenticator secret, their recovery codes, and the challenges that a
sign-in with the right password hands out until the second factor is given."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from db.models.mixins import Timestamps, UUIDPrimaryKey
from db.types import UTCDateTime, utcnow


def _user_column(*, primary_key: bool = False) -> sa.Column:
    return sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key)


class TwoFactor(Timestamps, table=True):
    """One row per user who ever began set-up. Two-factor is on while `secret` is set (and
    `users.two_factor_enabled`, which the same transaction keeps in step, says so)."""

    __tablename__ = "two_factor"

    user_id: uuid.UUID = Field(sa_column=_user_column(primary_key=True))
    # Both secrets are encrypted (db/services/secret_box.py): a copy of the database alone yields no codes.
    secret: str | None = Field(default=None, sa_type=sa.Text)
    pending_secret: str | None = Field(default=None, sa_type=sa.Text)  # set-up begun, not yet confirmed
    enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last 30-second step whose code was accepted: a code is accepted once, and never an older one.
    last_used_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class RecoveryCode(UUIDPrimaryKey, table=True):
    __tablename__ = "recovery_codes"
    __table_args__ = (sa.Index("ix_recovery_codes_user_id", "user_id"),)

    user_id: uuid.UUID = Field(sa_column=_user_column())
    code_hash: str = Field(max_length=64, nullable=False, unique=True)  # SHA-256 hex of an 80-bit code
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TwoFactorChallenge(UUIDPrimaryKey, table=True):
    """Handed out by a sign-in with the right password; `verifyTwoFactor` with it and a code completes it."""

    __tablename__ = "two_factor_challenges"
    __table_args__ = (
        sa.Index("ix_two_factor_challenges_user_id", "user_id"),
        sa.Index("ix_two_factor_challenges_expires_at", "expires_at"),
    )

    token_hash: str = Field(max_length=64, nullable=False, unique=True)
    user_id: uuid.UUID = Field(sa_column=_user_column())
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Codes checked against it so far; each is counted before it is checked (db/services/two_factor.py).
    tries: int = Field(default=0, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip_address: str | None = Field(default=None, max_length=45)
    # SHA-256 of the password hash the first step was checked against: a password changed since (by the
    # owner, an admin or a reset) ends the half-done sign-in, as it ends the account's sessions.
    password_digest: str = Field(max_length=64, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
