"""Bans, impersonation and the security event log: ban columns on `users`, `impersonated_by_id` on
`sessions` and the append-only `security_events` table.

`sessions` is rebuilt on SQLite (batch mode) to get its new foreign key; nothing references it, so the
rebuild loses nothing. `users` only gains nullable columns, which SQLite adds in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEWEST_FIRST = (sa.text("occurred_at DESC"), sa.text("id DESC"))


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """Batch mode reflects `users` (the foreign key's table) on SQLite; SQLAlchemy warns, on stderr, that it
    skips its expression index, which the rebuild of `sessions` does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        yield


def upgrade() -> None:
    op.add_column("users", sa.Column("banned_at", UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("ban_reason", sa.String(500), nullable=True))
    op.add_column("users", sa.Column("ban_expires_at", UTCDateTime(), nullable=True))

    with _quiet_reflection(), op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("impersonated_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_sessions_impersonated_by_id", "users", ["impersonated_by_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_sessions_impersonated_by", ["impersonated_by_id"])

    op.create_table(
        "security_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("impersonation", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_security_events"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_security_events_actor_id", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_security_events_user_id", ondelete="SET NULL"),
    )
    op.create_index("ix_security_events_user_occurred", "security_events", ["user_id", *_NEWEST_FIRST])
    op.create_index("ix_security_events_occurred", "security_events", [*_NEWEST_FIRST])
    op.create_index("ix_security_events_actor_occurred", "security_events", ["actor_id", *_NEWEST_FIRST])
    op.create_index("ix_security_events_type_occurred", "security_events", ["type", *_NEWEST_FIRST])


def downgrade() -> None:
    op.drop_table("security_events")
    with _quiet_reflection(), op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_impersonated_by")
        batch.drop_constraint("fk_sessions_impersonated_by_id", type_="foreignkey")
        batch.drop_column("impersonated_by_id")
    op.drop_column("users", "ban_expires_at")
    op.drop_column("users", "ban_reason")
    op.drop_column("users", "banned_at")
