"""Bans and impersonation against the real `usergraph serve` process over HTTP: sessions revoked, a ban
that ends (the clock moved by moving the end), each impersonation restriction refused, no cookie set and
the admin's own cookie session untouched."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from db.models import User
from db.types import utcnow
from tests.support.auth import PASSWORD, SIGN_IN, SIGN_UP
from tests.support.factories import signed_in_admin
from tests.support.server import running_server

VIEWER = "{ viewer { email } }"


async def test_bans_and_impersonation_through_the_real_server(tmp_path, database_url, database, settings):
    _, admin_token = await signed_in_admin(database, email="ada@example.com")
    with running_server({"DATABASE_URL": database_url}, "--no-migrate", tmp_path=tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:

            async def gql(query, variables=None, *, token=None, cookie=None):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if cookie:
                    headers["Cookie"] = f"{settings.cookie_name}={cookie}"
                response = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
                return response, response.json()

            credentials = {"email": "bo@example.com", "password": PASSWORD}
            _, up = await gql(SIGN_UP, {"input": {**credentials, "name": "Bo"}})
            user_id, user_token = up["data"]["signUp"]["user"]["id"], up["data"]["signUp"]["token"]

            # Impersonation from the admin page: cookie session in, bearer token out, no cookie set.
            response, body = await gql("mutation($id: ID!) { impersonateUser(id: $id) { token errors { code } } }",
                                       {"id": user_id}, cookie=admin_token)
            as_user = body["data"]["impersonateUser"]["token"]
            assert as_user and "set-cookie" not in response.headers
            assert (await gql(VIEWER, cookie=admin_token))[1]["data"]["viewer"]["email"] == "ada@example.com"
            assert (await gql(VIEWER, token=as_user))[1]["data"]["viewer"]["email"] == "bo@example.com"
            for refused in (
                'mutation { changePassword(input: {currentPassword: "x", newPassword: "y"}) { errors { code } } }',
                'mutation { deleteViewer(input: {password: "x"}) { errors { code } } }',
                'mutation { impersonateUser(id: "%s") { errors { code } } }' % user_id,
                "{ users { edges { node { id } } } }",
            ):
                assert (await gql(refused, token=as_user))[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused

            # A ban: every session of the user ends, the impersonation one too; sign-in says why.
            ends = utcnow() + timedelta(days=1)
            _, body = await gql("mutation($id: ID!, $at: DateTime) { banUser(id: $id, input: {reason: \"abuse\", expiresAt: $at}) { errors { code } } }",
                                {"id": user_id, "at": ends.isoformat()}, token=admin_token)
            assert body["data"]["banUser"]["errors"] == []
            for token in (user_token, as_user):
                assert (await gql(VIEWER, token=token))[1]["data"]["viewer"] is None
            _, body = await gql(SIGN_IN, {"input": credentials})
            [error] = body["data"]["signIn"]["errors"]
            assert error["code"] == "ACCOUNT_BANNED" and "abuse" in error["message"]

            # The clock passes the ban's end: the ban is over by itself.
            async with database.sessionmaker() as db:
                await db.execute(update(User).where(User.email == "bo@example.com")
                                 .values(ban_expires_at=utcnow() - timedelta(seconds=1)))
                await db.commit()
            _, body = await gql(SIGN_IN, {"input": credentials})
            assert body["data"]["signIn"]["errors"] == [] and body["data"]["signIn"]["token"]
            assert (await gql(VIEWER, cookie=admin_token))[1]["data"]["viewer"]["email"] == "ada@example.com"
