"""`usergraph purge-events` deletes security events past the retention period; `create-admin` is an event
of the service itself (SYSTEM)."""

from datetime import timedelta

from db.services import events
from db.services.events import EventType
from db.services.origin import SYSTEM, Client
from db.types import utcnow
from tests.cli.test_cli import run
from tests.support.events import events_of


async def add(database, days_ago):
    async with database.sessionmaker() as db:
        await events.record(db, EventType.SIGN_IN_FAILED, user_id=None, email=f"{days_ago}@example.com",
                            actor=SYSTEM, client=Client(), now=utcnow() - timedelta(days=days_ago))
        await db.commit()


async def test_purge_events_keeps_the_retention_period(database):
    for days_ago in (400, 366, 100, 1):
        await add(database, days_ago)
    result = run("purge-events")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "deleted 2 security event(s) older than 365d"
    assert sorted(e.email for e in await events_of(database)) == ["100@example.com", "1@example.com"]

    result = run("purge-events", "--older-than", "30d")
    assert result.returncode == 0, result.stderr
    assert [e.email for e in await events_of(database)] == ["1@example.com"]


def test_purge_events_fails_in_one_line():
    result = run("purge-events", "--older-than", "a year")
    assert result.returncode == 1
    assert result.stderr.strip() == "usergraph purge-events: invalid duration 'a year': use a whole number with d, h or m (30d, 12h, 90m)"

    result = run("purge-events", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert result.stderr.startswith("usergraph purge-events: database error:") and result.stderr.count("\n") == 1


async def test_create_admin_is_recorded_as_the_system(database):
    result = run("create-admin", "--email", "root@example.com", "--name", "Root", "--password-stdin",
                 input="correct horse battery staple\n")
    assert result.returncode == 0, result.stderr
    (event,) = await events_of(database, "USER_CREATED")
    assert (event.actor_kind, event.actor_id, event.email, event.details) == ("SYSTEM", None, "root@example.com", {"role": "ADMIN"})
