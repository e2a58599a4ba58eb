"""Emails compared and kept unique by `email_key`, computed in Python, instead of `lower(email)`.

The key is NFKC, then case-folded (as it was then; 0008 narrowed it); SQLite's `lower()` folds only ASCII, so
`Ünal@x.io` and `ünal@x.io` could be two accounts.

If existing accounts share a key, the upgrade stops before changing anything and names them; README.md
("Emails that collide") says how to resolve that.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table(
    "users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()), sa.column("email_key", sa.String())
)
_LISTED = 20  # colliding groups named in the error; the count covers the rest


def email_key(email: str) -> str:
    """The key as this migration defined it (NFKC, then case-folded); migration 0008 narrowed it."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_USERS.c.id, _USERS.c.email))
    keys = {row.id: (row.email, email_key(row.email)) for row in rows}
    # Before any change: on SQLite the driver runs DDL outside the migration's transaction, so a refusal
    # after it could not be rolled back.
    _refuse_collisions(keys)

    # NOT NULL at once, with a placeholder until the backfill: SQLite cannot add NOT NULL to an existing
    # column without rebuilding `users`, and dropping the old table with foreign keys on would delete
    # every session (ON DELETE CASCADE). SQLite keeps the '' default; the unique index below admits
    # at most one row that has it, and the app always writes the key.
    op.add_column("users", sa.Column("email_key", sa.String(), nullable=False, server_default=""))
    if keys:
        bind.execute(
            _USERS.update().where(_USERS.c.id == sa.bindparam("user_id")).values(email_key=sa.bindparam("key")),
            [{"user_id": user_id, "key": key} for user_id, (_, key) in keys.items()],
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("users", "email_key", server_default=None)
    op.create_index("uq_users_email_key", "users", ["email_key"], unique=True)
    op.drop_index("uq_users_email_lower", table_name="users")


def downgrade() -> None:
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.drop_index("uq_users_email_key", table_name="users")
    op.drop_column("users", "email_key")


def _refuse_collisions(keys: dict[object, tuple[str, str]]) -> None:
    by_key: dict[str, list[tuple[object, str]]] = {}
    for user_id, (email, key) in keys.items():
        by_key.setdefault(key, []).append((user_id, email))
    groups = [sorted(group, key=lambda member: member[1]) for group in by_key.values() if len(group) > 1]
    if not groups:
        return
    named = "; ".join(
        " and ".join(f"{email!r} (user {user_id})" for user_id, email in group) for group in groups[:_LISTED]
    )
    more = f"; and {len(groups) - _LISTED} more" if len(groups) > _LISTED else ""
    raise RuntimeError(
        f"{len(groups)} group(s) of accounts share an email once case and Unicode form are ignored: "
        f"{named}{more}. Nothing was changed; rename or merge all but one account of each "
        f"group (README.md, 'Emails that collide'), then run `usergraph migrate` again."
    )
