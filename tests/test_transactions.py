"""One transaction per operation: an operation that fails after writing leaves nothing behind."""

from sqlalchemy import func, select

from api.policies import password_hashing
from db.models import User
from db.services.users import create_user


async def test_failure_after_a_savepoint_rolls_back_everything(database, settings):
    # create_user inserts inside a savepoint; a later failure must undo it on every backend.
    async with database.sessionmaker() as session:
        await create_user(session, email="half@example.com", name="Half", password="correct horse battery staple",
                          passwords=password_hashing(settings))
        await session.rollback()
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_operation_with_an_error_is_rolled_back(client, database):
    # signUp writes, then the second field of the same operation fails: nothing may be committed.
    body = await client.gql(
        'mutation { signUp(input: {email: "gone@example.com", password: "correct horse battery staple", name: "G"})'
        " { errors { code } } deleteUser(id: \"not-an-id\") { deletedUserId } }"
    )
    assert body["data"] is None  # deleteUser's payload is non-null, so its error nulls the whole result
    assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "BAD_USER_INPUT"}
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0
