"""`users.email_key`, the form emails are compared and kept unique in, follows every write of `email`."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select

from db.models import User
from db.services.validation import email_key
from db.types import utcnow
from tests.support.factories import make_user


def test_the_key_is_the_address_lower_cased_with_its_domain_as_dns_compares_it():
    assert email_key("  Ünal@Example.COM ") == "ünal@example.com"
    assert email_key("U\u0308nal@x.io") == email_key("Ünal@x.io")  # NFC: one letter, composed or not
    assert email_key("ann@Bücher.Example") == email_key("ann@xn--bcher-kva.example") == "ann@xn--bcher-kva.example"
    assert email_key(email_key("ǅemal@x.io")) == email_key("ǅemal@x.io")


def test_forms_a_mail_server_may_hold_as_other_mailboxes_keep_other_keys():
    """Case folding and NFKC merged these; a squatter on one form then locked the other's owner out."""
    assert email_key("STRASSE@x.io") != email_key("straße@x.io")
    assert email_key("ａnn@x.io") != email_key("ann@x.io")  # fullwidth a
    assert email_key("ann@faß.example") != email_key("ann@fass.example")  # xn--fa-hia.example in DNS


async def test_orm_writes_keep_the_key_in_step(database):
    user = await make_user(database, email="Ünal@example.com")
    async with database.sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row.email_key == "ünal@example.com"
        row.email = "STRASSE@example.com"
        await session.commit()
    async with database.sessionmaker() as session:
        stored = (await session.execute(select(User.email, User.email_key).where(User.id == user.id))).one()
    assert tuple(stored) == ("STRASSE@example.com", "strasse@example.com")


async def test_a_core_insert_without_the_key_gets_it(database):
    now = utcnow()
    async with database.sessionmaker() as session:
        await session.execute(insert(User), [{
            "id": uuid.uuid4(), "email": "Öz@example.com", "name": "Öz", "password_hash": "x",
            "email_verified": False, "role": "USER", "is_active": True, "created_at": now, "updated_at": now,
        }])
        await session.commit()
        assert await session.scalar(select(User.email_key)) == "öz@example.com"
