"""The `users` connection: keyset pages in every order and both directions, exact pageInfo, filters,
totalCount, caps, malformed cursors, and walks that stay exact while the table is written."""

import base64
import json
import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from db.models import Role, User
from db.types import utcnow
from tests.support.factories import make_users, signed_in_admin, user_row

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $order: UserOrder, $filter: UserFilter) {
  users(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
    totalCount
    edges { cursor node { id email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
FIELDS = {
    "CREATED_AT": lambda u: u.created_at,
    "EMAIL": lambda u: u.email.lower(),
    "NAME": lambda u: u.name.lower(),
    "LAST_SIGN_IN_AT": lambda u: u.last_sign_in_at,
}
BASE = utcnow() - timedelta(days=10)


def expected_emails(users, field, direction):
    """The contract's order computed in Python: NULLs last in ASC, DESC its exact reverse, ID breaks ties."""
    key = FIELDS[field]
    ordered = sorted(users, key=lambda u: (key(u) is None, key(u) or 0, u.id.hex))
    if direction == "DESC":
        ordered.reverse()
    return [u.email for u in ordered]


async def all_users(database):
    async with database.sessionmaker() as session:
        return list((await session.scalars(select(User))).all())


@pytest.fixture
async def crowd(database):
    """25 users (plus the admin) with many equal sort keys, some never signed in, mixed case names."""
    rng = random.Random(5)
    names = ["alpha", "Alpha", "bravo", "BRAVO", "charlie"]
    rows = [
        user_row(
            name=rng.choice(names),
            created_at=BASE + timedelta(minutes=rng.randrange(4)),
            last_sign_in_at=rng.choice([None, BASE, BASE + timedelta(hours=1)]),
            role=rng.choice([Role.USER, Role.USER, Role.ADMIN]),
            is_active=rng.random() > 0.2,
            email_verified=rng.random() > 0.5,
        )
        for _ in range(25)
    ]
    await make_users(database, *rows)
    _, token = await signed_in_admin(database)
    return token


async def fetch(client, token, **variables):
    body = await client.gql(PAGE, variables, token=token)
    assert "errors" not in body, body
    return body["data"]["users"]


async def walk(client, token, *, backward, size, order=None, filter=None, between_pages=None):
    """Every email of a full walk in the connection's order, checking pageInfo on the way."""
    seen, cursor, pages = [], None, 0
    while True:
        if backward:
            connection = await fetch(client, token, last=size, before=cursor, order=order, filter=filter)
        else:
            connection = await fetch(client, token, first=size, after=cursor, order=order, filter=filter)
        emails = [edge["node"]["email"] for edge in connection["edges"]]
        info = connection["pageInfo"]
        seen = emails + seen if backward else seen + emails
        pages += 1
        assert len(emails) <= size
        if connection["edges"]:
            assert info["startCursor"] == connection["edges"][0]["cursor"]
            assert info["endCursor"] == connection["edges"][-1]["cursor"]
        more, earlier = (info["hasPreviousPage"], info["hasNextPage"]) if backward else (info["hasNextPage"], info["hasPreviousPage"])
        assert earlier == (pages > 1)
        if not more:
            return seen
        if between_pages:
            await between_pages()
        cursor = info["startCursor"] if backward else info["endCursor"]


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
async def test_every_ordering_walks_completely_in_both_directions(client, database, crowd, field, direction, backward):
    order = {"field": field, "direction": direction}
    seen = await walk(client, crowd, backward=backward, size=4, order=order)
    assert seen == expected_emails(await all_users(database), field, direction)


async def test_default_order_and_page_size(client, database):
    await make_users(database, *(user_row(created_at=BASE + timedelta(seconds=i % 3)) for i in range(24)))
    _, token = await signed_in_admin(database)
    connection = await fetch(client, token)
    assert [e["node"]["email"] for e in connection["edges"]] == expected_emails(await all_users(database), "CREATED_AT", "ASC")[:20]
    assert connection["pageInfo"]["hasNextPage"] and not connection["pageInfo"]["hasPreviousPage"]
    assert connection["totalCount"] == 25
    before_only = await fetch(client, token, before=connection["pageInfo"]["endCursor"])  # `before` alone: the last page before it
    assert [e["node"]["email"] for e in before_only["edges"]] == [e["node"]["email"] for e in connection["edges"]][:19]


async def test_page_info_is_exact_in_the_middle(client, database, crowd):
    everyone = expected_emails(await all_users(database), "NAME", "ASC")
    order = {"field": "NAME", "direction": "ASC"}
    first = await fetch(client, crowd, first=5, order=order)
    middle = await fetch(client, crowd, first=5, after=first["pageInfo"]["endCursor"], order=order)
    assert [e["node"]["email"] for e in middle["edges"]] == everyone[5:10]
    assert middle["pageInfo"]["hasNextPage"] and middle["pageInfo"]["hasPreviousPage"]
    back = await fetch(client, crowd, last=5, before=middle["pageInfo"]["startCursor"], order=order)
    assert [e["node"]["email"] for e in back["edges"]] == everyone[:5]
    assert back["pageInfo"]["hasNextPage"] and not back["pageInfo"]["hasPreviousPage"]
    window = await fetch(client, crowd, first=50, after=first["pageInfo"]["endCursor"], before=middle["pageInfo"]["endCursor"], order=order)
    assert [e["node"]["email"] for e in window["edges"]] == everyone[5:9]
    assert window["pageInfo"]["hasNextPage"] and window["pageInfo"]["hasPreviousPage"]
    empty = await fetch(client, crowd, first=0, order=order)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] and empty["pageInfo"]["startCursor"] is None


@pytest.mark.parametrize("field", ["CREATED_AT", "NAME", "LAST_SIGN_IN_AT"])
@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
async def test_walks_while_rows_are_inserted_and_deleted_skip_and_repeat_nothing(client, database, crowd, field, backward):
    rng = random.Random(field)
    existing = await all_users(database)
    deletable = [u for u in existing if u.role != Role.ADMIN]
    deleted: set[str] = set()

    async def write_between_pages():
        # New rows with the very same sort keys as existing ones, and one existing row deleted.
        template = rng.choice(existing)
        await make_users(database, *(
            user_row(name=template.name, created_at=template.created_at, last_sign_in_at=template.last_sign_in_at)
            for _ in range(2)))
        victim = deletable.pop(rng.randrange(len(deletable)))
        deleted.add(victim.email)
        async with database.sessionmaker() as session:
            await session.execute(delete(User).where(User.id == victim.id))
            await session.commit()

    order = {"field": field, "direction": "ASC"}
    seen = await walk(client, crowd, backward=backward, size=3, order=order, between_pages=write_between_pages)
    assert len(seen) == len(set(seen)), "a row was repeated"
    throughout = {u.email for u in existing} - deleted
    assert throughout <= set(seen), "a row that existed throughout was skipped"
    order_now = expected_emails(await all_users(database), field, "ASC")
    present = [email for email in seen if email in set(order_now)]
    assert present == [email for email in order_now if email in set(present)]


async def test_filters_and_total_count(client, database):
    await make_users(
        database,
        user_row(email="ann@example.com", name="Ann 100%", role=Role.ADMIN, email_verified=True),
        user_row(email="bob_smith@example.com", name="Bob", is_active=False),
        user_row(email="bobxsmith@example.com", name="B\\ob"),
        user_row(email="carol@example.com", name="CAROL"),
    )
    _, token = await signed_in_admin(database, email="zed@example.com", name="Zed")

    async def emails(**filter):
        connection = await fetch(client, token, first=2, filter=filter, order={"field": "EMAIL"})
        walked = await walk(client, token, backward=False, size=2, filter=filter, order={"field": "EMAIL"})
        assert connection["totalCount"] == len(walked)
        return walked

    assert await emails(search="carol") == ["carol@example.com"]
    assert await emails(search="Carol") == ["carol@example.com"]  # case-insensitive
    assert await emails(search="EXAMPLE") == ["ann@example.com", "bob_smith@example.com", "bobxsmith@example.com", "carol@example.com", "zed@example.com"]
    assert await emails(search="b_s") == ["bob_smith@example.com"]  # `_` is literal
    assert await emails(search="100%") == ["ann@example.com"]  # `%` is literal
    assert await emails(search="%") == ["ann@example.com"]
    assert await emails(search="b\\o") == ["bobxsmith@example.com"]  # the escape character is literal too
    assert await emails(role="ADMIN") == ["ann@example.com", "zed@example.com"]
    assert await emails(isActive=False) == ["bob_smith@example.com"]
    assert await emails(emailVerified=True, role="ADMIN") == ["ann@example.com"]
    assert await emails(search="nobody") == []
    assert await emails() == await emails(search="")


@pytest.mark.parametrize("arguments", [{"first": 101}, {"last": 101}, {"first": -1}, {"last": -5}, {"first": 1, "last": 1}])
async def test_page_sizes_are_capped(client, database, arguments):
    _, token = await signed_in_admin(database)
    body = await client.gql(PAGE, arguments, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await fetch(client, token, first=100))["totalCount"] == 1


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = [
    "",
    "!!!",
    "a" * 5000,
    _b64(b"\xff\xfe"),
    _b64(b"not json"),
    _b64({"a": 1}),
    _b64([]),
    _b64(["CREATED_AT"]),
    _b64(["CREATED_AT", "2026-01-01T00:00:00", str(uuid.uuid4())]),  # no offset
    _b64(["CREATED_AT", "yesterday", str(uuid.uuid4())]),
    _b64(["CREATED_AT", "2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    _b64(["CREATED_AT", None, str(uuid.uuid4())]),
    _b64(["CREATED_AT", 5, str(uuid.uuid4())]),
    _b64(["EMAIL", "a@example.com", str(uuid.uuid4())]),  # another ordering's cursor
    _b64(["SESSIONS", "2026-01-01T00:00:00+00:00", str(uuid.uuid4())]),
]


@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_malformed_cursors_are_bad_user_input(client, database, cursor, argument):
    _, token = await signed_in_admin(database)
    response = await client.post("/graphql", json={"query": PAGE, "variables": {argument: cursor}},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_null_key_cursor_is_valid_for_a_nullable_ordering(client, database):
    await make_users(database, *(user_row() for _ in range(3)))  # never signed in: NULL keys
    _, token = await signed_in_admin(database)
    order = {"field": "LAST_SIGN_IN_AT", "direction": "ASC"}
    first = await fetch(client, token, first=2, order=order)
    rest = await fetch(client, token, first=5, after=first["pageInfo"]["endCursor"], order=order)
    assert len(first["edges"]) + len(rest["edges"]) == 4
