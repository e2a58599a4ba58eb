"""The rate limiter's `attempts` table replaces `sign_in_failures`: it also counts sign-ups (per IP) and
holds a password check's attempt from before the check, so concurrent checks count each other.

Failures recorded before the upgrade are carried over as password attempts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
    )
    op.create_index("ix_attempts_action_email_created", "attempts", ["action", "email", "created_at"])
    op.create_index("ix_attempts_action_ip_created", "attempts", ["action", "ip_address", "created_at"])
    op.create_index("ix_attempts_created", "attempts", ["created_at"])
    op.execute(
        "INSERT INTO attempts (id, action, email, ip_address, created_at) "
        "SELECT id, 'password', email, ip_address, created_at FROM sign_in_failures"
    )
    op.drop_table("sign_in_failures")


def downgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_email_created", "sign_in_failures", ["email", "created_at"])
    op.create_index("ix_sign_in_failures_ip_created", "sign_in_failures", ["ip_address", "created_at"])
    op.execute(
        "INSERT INTO sign_in_failures (id, email, ip_address, created_at) "
        "SELECT id, email, ip_address, created_at FROM attempts WHERE action = 'password' AND email IS NOT NULL"
    )
    op.drop_table("attempts")
