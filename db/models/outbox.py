"""The `outbox` table: mail written in the transaction of the change that causes it, delivered afterwards
by the serving process (db/services/outbox.py, api/mail/)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        # What a delivery worker looks for: unsent messages by when they are due.
        sa.Index("ix_outbox_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    message_id: str = Field(max_length=255, nullable=False)  # the Message-ID header, the same on every try
    sender: str = Field(max_length=320, nullable=False)  # the envelope's MAIL FROM
    recipient: str = Field(max_length=320, nullable=False)
    subject: str = Field(max_length=255, nullable=False)
    # The whole rendered message (RFC 5322, headers and MIME parts): what was promised is what is sent.
    # Once sent (or refused for good) only its headers are kept: the body holds a live link token.
    content: str = Field(sa_type=sa.Text, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    attempts: int = Field(default=0, nullable=False)
    # A worker's claim: until `claimed_until` no other worker takes the message; a crashed worker's
    # claim simply runs out.
    claim_id: uuid.UUID | None = Field(default=None)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # refused for good (a 5xx)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
