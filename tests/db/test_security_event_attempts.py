"""SIGN_IN_FAILED is an attempt: kept when its operation rolls back, whether it was written at once
(nothing held) or after the operation's end (the sign-in had locked the account's row)."""

import pytest
from sqlalchemy import update

from api.policies import auth_policy
from db.models import User
from db.services import auth
from db.services.errors import Rejected
from db.services.origin import Client
from db.unit_of_work import UnitOfWork
from tests.support.events import events_of
from tests.support.factories import make_user

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("case", ["wrong_password", "banned"])
async def test_a_failed_sign_in_survives_the_rollback_of_its_operation(database, settings, case):
    policy = auth_policy(settings)
    await make_user(database, email="ann@example.com")
    values = {"password_hash": await policy.passwords.hash(PASSWORD)}
    if case == "banned":
        values["banned_at"] = User.created_at
    async with database.sessionmaker() as db:
        await db.execute(update(User).values(**values))
        await db.commit()
    unit = UnitOfWork(database.sessionmaker)
    with pytest.raises(Rejected):
        await auth.sign_in(
            unit, policy=policy, email="ann@example.com", password="wrong horse" if case == "wrong_password" else PASSWORD,
            client=Client("10.1.1.1", "pytest", "req-9"),
        )
    await unit.finish(commit=False)
    (event,) = await events_of(database, "SIGN_IN_FAILED")
    assert event.details == {"reason": case} and event.request_id == "req-9" and event.user_id is not None
    async with database.sessionmaker() as db:
        assert (await db.get(User, event.user_id)).last_sign_in_at is None  # the operation's own write is gone


async def test_an_attempt_on_an_account_deleted_meanwhile_is_kept_without_it(database):
    import uuid

    from db.services import events
    from db.services.events import EventType
    from db.services.origin import ANONYMOUS

    unit = UnitOfWork(database.sessionmaker)
    await events.record_attempt(unit, EventType.SIGN_IN_FAILED, user_id=uuid.uuid4(), email="gone@example.com",
                                actor=ANONYMOUS, client=Client(), details={"reason": "wrong_password"})
    await unit.finish(commit=False)
    (event,) = await events_of(database, "SIGN_IN_FAILED")
    assert (event.user_id, event.email) == (None, "gone@example.com")
