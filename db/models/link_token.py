"""The `link_tokens` table: single-use tokens carried by the links of password-reset, email-verification
and email-change messages. Only a token's SHA-256 is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class LinkToken(SQLModel, table=True):
    __tablename__ = "link_tokens"
    __table_args__ = (
        sa.Index("uq_link_tokens_token_hash", "token_hash", unique=True),
        sa.Index("ix_link_tokens_user_id", "user_id"),
        sa.Index("ix_link_tokens_expires_at", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Null for the decoy a reset request for an unknown email writes (db/services/email_flows.py).
    user_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    )
    purpose: str = Field(max_length=32, nullable=False)  # db.services.link_tokens.Purpose
    token_hash: str = Field(max_length=64, nullable=False)
    # SHA-256 of the account's email key and password hash when the token was issued: a token works only
    # while both are unchanged, whichever path changed them.
    fingerprint: str = Field(max_length=64, nullable=False)
    new_email: str | None = Field(default=None, max_length=320)  # an email change's new address
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
