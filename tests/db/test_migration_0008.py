"""Migration 0008 (email keys per mailbox): the keys of non-ASCII addresses are rewritten to the local
part lower-cased and the domain in IDNA form, so forms the old key merged can be two accounts; ASCII
addresses keep theirs; it goes down to 0007 and back."""

import uuid

import sqlalchemy as sa

from db.migrations import downgrade, upgrade
from db.services.validation import email_key
from db.types import utcnow
from tests.support.databases import run_on

_USERS = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
                  sa.column("email_key", sa.String()), sa.column("name", sa.String()),
                  sa.column("password_hash", sa.String()), sa.column("email_verified", sa.Boolean()),
                  sa.column("role", sa.String()), sa.column("is_active", sa.Boolean()),
                  sa.column("created_at", sa.DateTime()), sa.column("updated_at", sa.DateTime()))
# Each address with its key as 0003 computed it (NFKC, then case-folded).
AT_0007 = {"straße@x.io": "strasse@x.io", "Ünal@bücher.example": "ünal@bücher.example",
           "ｖｉｃｔｉｍ@example.com": "victim@example.com", "Ann@example.com": "ann@example.com"}


def _insert(settings, url: str, keys: dict[str, str]) -> None:
    now = utcnow().replace(tzinfo=None)
    run_on(settings, url, lambda connection: connection.execute(_USERS.insert(), [
        {"id": uuid.uuid4(), "email": email, "email_key": key, "name": "N", "password_hash": "x",
         "email_verified": False, "role": "USER", "is_active": True, "created_at": now, "updated_at": now}
        for email, key in keys.items()
    ]))


def _keys(settings, url: str) -> dict[str, str]:
    rows = run_on(settings, url, lambda connection: connection.execute(sa.select(_USERS.c.email, _USERS.c.email_key)).all())
    return dict(rows)


def test_0008_keys_each_mailbox_apart_and_downgrades(settings, fresh_database_url):
    upgrade(fresh_database_url, "0007")
    _insert(settings, fresh_database_url, AT_0007)

    upgrade(fresh_database_url, "0008")
    assert _keys(settings, fresh_database_url) == {
        "straße@x.io": "straße@x.io", "Ünal@bücher.example": "ünal@xn--bcher-kva.example",
        "ｖｉｃｔｉｍ@example.com": "ｖｉｃｔｉｍ@example.com", "Ann@example.com": "ann@example.com",
    }
    assert all(key == email_key(email) for email, key in _keys(settings, fresh_database_url).items())
    # The mailboxes the old key merged can now each have an account.
    _insert(settings, fresh_database_url, {"strasse@x.io": email_key("strasse@x.io"),
                                           "victim@example.com": email_key("victim@example.com")})

    run_on(settings, fresh_database_url, lambda connection: connection.execute(
        _USERS.delete().where(_USERS.c.email.in_(["strasse@x.io", "victim@example.com"]))))
    downgrade(fresh_database_url, "0007")
    assert _keys(settings, fresh_database_url) == AT_0007
    upgrade(fresh_database_url, "head")
