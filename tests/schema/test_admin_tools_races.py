"""Bans and impersonation under concurrency (row locks on PostgreSQL, one writer on SQLite): two admins
banning each other leave one admin; an impersonation racing a ban never outlives it."""

import asyncio

from sqlalchemy import func, select, update

from db.models import Session, User
from schema.relay import to_global_id
from tests.support.factories import make_session, make_user, signed_in_admin

BAN = "mutation($id: ID!) { banUser(id: $id, input: {}) { errors { code } } }"
IMPERSONATE = "mutation($id: ID!) { impersonateUser(id: $id) { token errors { code } } }"


def gid(user):
    return to_global_id("User", user.id)


def _outcome(body):
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    errors = body["data"]["banUser"]["errors"]
    return errors[0]["code"] if errors else "banned"


async def test_two_admins_banning_each_other_at_once_leave_one_active_admin(make_client, database):
    first, first_token = await signed_in_admin(database)
    second, second_token = await signed_in_admin(database)
    async with make_client() as one, make_client() as two:
        for _ in range(3):
            results = await asyncio.gather(
                one.gql(BAN, {"id": gid(second)}, token=first_token),
                two.gql(BAN, {"id": gid(first)}, token=second_token),
            )
            # The loser is refused as the last admin, or, banned first, is no longer signed in at all.
            outcomes = sorted(_outcome(body) for body in results)
            assert outcomes in (["INVALID_INPUT", "banned"], ["UNAUTHENTICATED", "banned"]), results
            async with database.sessionmaker() as db:
                banned = await db.scalar(select(func.count()).where(User.banned_at.is_not(None)))
                assert banned == 1
                await db.execute(update(User).values(banned_at=None))
                await db.commit()
            _, first_token = await make_session(database, first)
            _, second_token = await make_session(database, second)


async def test_an_impersonation_racing_a_ban_never_outlives_it(make_client, database):
    _, ban_token = await signed_in_admin(database)
    _, impersonation_token = await signed_in_admin(database)
    async with make_client() as one, make_client() as two:
        for _ in range(5):
            user = await make_user(database)
            banned, opened = await asyncio.gather(
                one.gql(BAN, {"id": gid(user)}, token=ban_token),
                two.gql(IMPERSONATE, {"id": gid(user)}, token=impersonation_token),
            )
            assert banned["data"]["banUser"]["errors"] == []
            token = opened["data"]["impersonateUser"]["token"]
            if token is not None:
                body = await one.gql("{ viewer { id } }", token=token)
                assert body["data"]["viewer"] is None
            async with database.sessionmaker() as db:
                live = await db.scalar(select(func.count()).where(
                    Session.user_id == user.id, Session.revoked_at.is_(None)))
                assert live == 0

