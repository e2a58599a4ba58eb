"""Email keys per mailbox: the local part NFC and lower-cased, the domain in IDNA ASCII form (see
db/services/validation.py `email_key`), instead of NFKC and case folding of the whole address, which made
different mailboxes (`straße@` and `strasse@`, fullwidth letters, `faß.example` and `fass.example`) one
account, so a squatter on one form locked the other's owner out.

Only keys of non-ASCII addresses change: for ASCII, both keys are the lower-cased address. The new key is
finer than the old one, so no two accounts come to share one. Link tokens issued before to an account
whose key changes stop working (their fingerprint holds the key): the user asks for a new link.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import unicodedata
from collections.abc import Callable, Sequence

import idna
import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table(
    "users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()), sa.column("email_key", sa.String())
)
_BATCH = 5_000


def key_per_mailbox(email: str) -> str:
    """`email_key` as of this migration."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", email.strip()).lower()
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError:
            domain = unicodedata.normalize("NFC", domain)
    return f"{unicodedata.normalize('NFC', local).lower()}@{domain.lower()}"


def key_before(email: str) -> str:
    """`email_key` before this migration (0003's)."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def upgrade() -> None:
    _rekey(key_per_mailbox)


def downgrade() -> None:
    _rekey(key_before)  # fails on the unique index if accounts now exist that the old key makes one


def _rekey(key: Callable[[str], str]) -> None:
    """Rewrite the keys that `key` computes differently; ASCII addresses keep theirs, so only the few
    others are written."""
    bind = op.get_bind()
    changed = [
        {"user_id": row.id, "key": key(row.email)}
        for row in bind.execute(sa.select(_USERS.c.id, _USERS.c.email, _USERS.c.email_key))
        if not row.email.isascii() and key(row.email) != row.email_key
    ]
    statement = _USERS.update().where(_USERS.c.id == sa.bindparam("user_id")).values(email_key=sa.bindparam("key"))
    for start in range(0, len(changed), _BATCH):
        bind.execute(statement, changed[start:start + _BATCH])
