"""Reading the security event log: who sees which events and actors, the admins' filters, keyset pages
that stay stable while events are written, and a constant number of statements per page."""

import uuid
from datetime import timedelta

from db.services import events
from db.services.events import EventType
from db.services.origin import ANONYMOUS, Actor, Client
from db.types import utcnow
from schema.relay import to_global_id
from tests.schema.test_batching import statements_for
from tests.support.factories import make_user, signed_in, signed_in_admin

OWN = """{ viewer { securityEvents(first: 50) { edges { node { id type actorKind actor { email } user { email }
  email ipAddress userAgent requestId details } } } } }"""
ALL = """query($first: Int, $after: String, $filter: SecurityEventFilter) {
  securityEvents(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor } edges { cursor node { id type actor { email } user { email } } } } }"""


def gid(user, kind="User"):
    return to_global_id(kind, getattr(user, "id", user))


async def add(database, type_, *, user, actor, when, details=None):
    async with database.sessionmaker() as db:
        await events.record(db, type_, user_id=user.id if user else None, email=user.email if user else None,
                            actor=actor, client=Client("10.0.0.1", "ua", "req-1"), details=details, now=when)
        await db.commit()


async def test_a_user_sees_their_own_events_and_no_other_user_as_actor(client, database):
    admin, admin_token = await signed_in_admin(database, email="ada@example.com")
    user, token = await signed_in(database, email="bo@example.com")
    other = await make_user(database, email="cy@example.com")
    now = utcnow()
    await add(database, EventType.SIGNED_IN, user=user, actor=Actor.user(user.id), when=now - timedelta(minutes=3))
    await add(database, EventType.USER_BANNED, user=user, actor=Actor.admin(admin.id), when=now - timedelta(minutes=2),
              details={"reason": "spam", "expiresAt": None})
    await add(database, EventType.USER_UPDATED, user=user, actor=Actor.admin(admin.id, impersonation=True),
              when=now - timedelta(minutes=1), details={"fields": ["name"], "impersonation": True})
    await add(database, EventType.SIGNED_IN, user=other, actor=Actor.user(other.id), when=now)

    nodes = [e["node"] for e in (await client.gql(OWN, token=token))["data"]["viewer"]["securityEvents"]["edges"]]
    assert [(n["type"], n["actorKind"], n["actor"]) for n in nodes] == [
        ("USER_UPDATED", "ADMIN", None), ("USER_BANNED", "ADMIN", None), ("SIGNED_IN", "SELF", {"email": "bo@example.com"})]
    assert nodes[1]["details"] == {"reason": "spam", "expiresAt": None}
    assert nodes[2] | {"id": None} == {"id": None, "type": "SIGNED_IN", "actorKind": "SELF", "actor": {"email": "bo@example.com"},
                                       "user": {"email": "bo@example.com"}, "email": "bo@example.com",
                                       "ipAddress": "10.0.0.1", "userAgent": "ua", "requestId": "req-1", "details": None}

    # Someone else's events: FORBIDDEN on their user (as `sessions`), null by node ID, FORBIDDEN for the log.
    body = await client.gql("query($id: ID!) { node(id: $id) { id } }", {"id": nodes[0]["id"]}, token=token)
    assert body["data"]["node"] == {"id": nodes[0]["id"]}
    admin_view = await client.gql(ALL, {"first": 10}, token=admin_token)
    others = [e["node"]["id"] for e in admin_view["data"]["securityEvents"]["edges"] if e["node"]["user"]["email"] == "cy@example.com"]
    body = await client.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": others}, token=token)
    assert body["data"]["nodes"] == [None]
    body = await client.gql(ALL, {"first": 10}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await client.gql("query($id: ID!) { node(id: $id) { ... on User { securityEvents { edges { cursor } } } } }",
                            {"id": gid(other)}, token=token)
    assert body["data"]["node"] is None

    # The admin sees every actor.
    actors = [e["node"]["actor"] for e in admin_view["data"]["securityEvents"]["edges"]]
    assert actors == [{"email": "cy@example.com"}, {"email": "ada@example.com"}, {"email": "ada@example.com"},
                      {"email": "bo@example.com"}]
    body = await client.gql("query($id: ID!) { user(id: $id) { securityEvents(first: 1) { edges { node { type } } } } }",
                            {"id": gid(user)}, token=admin_token)
    assert body["data"]["user"]["securityEvents"]["edges"] == [{"node": {"type": "USER_UPDATED"}}]


async def test_anonymous_callers_see_no_events(client, database):
    body = await client.gql(ALL, {"first": 1})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_admins_filter_by_type_user_actor_and_time(client, database):
    admin, token = await signed_in_admin(database, email="ada@example.com")
    ann, bo = await make_user(database, email="ann@example.com"), await make_user(database, email="bo@example.com")
    now = utcnow()
    await add(database, EventType.SIGN_IN_FAILED, user=ann, actor=ANONYMOUS, when=now - timedelta(days=2))
    await add(database, EventType.SIGNED_IN, user=ann, actor=Actor.user(ann.id), when=now - timedelta(hours=2))
    await add(database, EventType.USER_BANNED, user=bo, actor=Actor.admin(admin.id), when=now - timedelta(hours=1))

    async def types(filter_):
        body = await client.gql(ALL, {"first": 10, "filter": filter_}, token=token)
        return [e["node"]["type"] for e in body["data"]["securityEvents"]["edges"]]

    assert await types({"types": ["SIGNED_IN", "USER_BANNED"]}) == ["USER_BANNED", "SIGNED_IN"]
    assert await types({"userId": gid(ann)}) == ["SIGNED_IN", "SIGN_IN_FAILED"]
    assert await types({"actorId": gid(admin)}) == ["USER_BANNED"]
    assert await types({"since": (now - timedelta(days=1)).isoformat()}) == ["USER_BANNED", "SIGNED_IN"]
    assert await types({"userId": gid(ann), "types": ["SIGN_IN_FAILED"]}) == ["SIGN_IN_FAILED"]
    assert await types({"userId": to_global_id("Session", uuid.uuid4())}) == []


async def test_pages_stay_stable_while_events_are_written(client, database):
    _, token = await signed_in_admin(database)
    user, user_token = await signed_in(database)
    start = utcnow() - timedelta(hours=1)
    for minute in range(10):
        await add(database, EventType.SIGNED_IN, user=user, actor=Actor.user(user.id), when=start + timedelta(minutes=minute))
    existing = None
    for query, read, tok in [
        (ALL, lambda body: body["data"]["securityEvents"], token),
        ("""query($first: Int, $after: String) { viewer { securityEvents(first: $first, after: $after) {
            pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }""",
         lambda body: body["data"]["viewer"]["securityEvents"], user_token),
    ]:
        seen, after, written = [], None, 0
        while True:
            page = read(await client.gql(query, {"first": 3, "after": after}, token=tok))
            seen += [e["node"]["id"] for e in page["edges"]]
            # Newer events arrive between pages (one at the same instant as the newest, too).
            written += 1
            await add(database, EventType.SIGNED_IN, user=user, actor=Actor.user(user.id),
                      when=utcnow() if written % 2 else start + timedelta(minutes=9))
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen))
        if existing is None:
            existing = seen[:10]
            assert len(seen) == 10
        else:
            assert set(existing) <= set(seen)


async def test_a_page_of_events_with_actors_and_users_costs_the_same_for_1_and_100(client, database):
    admin, token = await signed_in_admin(database)
    people = [await make_user(database) for _ in range(30)]
    now = utcnow()
    for n, person in enumerate(people):
        for k in range(4):
            await add(database, EventType.USER_UPDATED, user=person, actor=Actor.admin(admin.id) if k % 2 else Actor.user(person.id),
                      when=now - timedelta(seconds=n * 10 + k))
    query = "query($n: Int) { securityEvents(first: $n) { edges { node { id actor { email } user { email } } } } }"
    _, few = await statements_for(client, query, {"n": 1}, token)
    many, lots = await statements_for(client, query, {"n": 100}, token)
    assert len(many["data"]["securityEvents"]["edges"]) == 100
    assert len(lots) == len(few), "\n".join(lots)

    nested = """query($n: Int) { users(first: $n) { edges { node { id
      securityEvents(first: 5) { pageInfo { hasNextPage } edges { node { type actor { email } user { email } } } } } } } }"""
    _, few = await statements_for(client, nested, {"n": 1}, token)
    many, lots = await statements_for(client, nested, {"n": 100}, token)
    pages = [e["node"]["securityEvents"]["edges"] for e in many["data"]["users"]["edges"]]
    assert sorted(len(p) for p in pages) == [0] + [4] * 30
    assert len(lots) == len(few), "\n".join(lots)


async def test_event_lists_count_toward_the_query_cost(client, database):
    _, token = await signed_in_admin(database)
    query = "{ users(first: 100) { edges { node { securityEvents(first: 100) { edges { node { id } } } } } } }"
    body = await client.gql(query, token=token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    query = "{ a: securityEvents(first: 100) { edges { node { actor { securityEvents(first: 100) { edges { node { id } } } } } } } }"
    body = await client.gql(query, token=token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_out_of_range_moments_are_the_clients_error(client, database):
    _, token = await signed_in_admin(database)
    body = await client.gql(ALL, {"first": 1, "filter": {"since": "0001-01-01T00:00:00+01:00"}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    user = await make_user(database)
    body = await client.gql(
        "mutation($id: ID!) { banUser(id: $id, input: {expiresAt: \"0001-01-01T00:00:00+01:00\"}) { errors { field code } } }",
        {"id": gid(user)}, token=token,
    )
    assert body["data"]["banUser"]["errors"] == [{"field": ["input", "expiresAt"], "code": "INVALID_INPUT"}]
