"""Indexes for the `users` connection's keyset orderings (created_at, name, last sign-in; ID last).

EMAIL ordering is served by the existing unique index on lower(email).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])
    op.create_index("ix_users_name_lower_id", "users", [sa.text("lower(name)"), "id"])
    op.create_index("ix_users_last_sign_in_at_id", "users", ["last_sign_in_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_last_sign_in_at_id", table_name="users")
    op.drop_index("ix_users_name_lower_id", table_name="users")
    op.drop_index("ix_users_created_at_id", table_name="users")
