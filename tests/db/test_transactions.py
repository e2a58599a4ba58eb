"""One transaction per operation: an operation that fails after writing leaves nothing behind."""

from sqlalchemy import func, select

from api.policies import password_hashing
from db.models import User
from db.services.users import create_user
from db.unit_of_work import UnitOfWork
from tests.support.factories import signed_in_admin


async def test_failure_after_a_savepoint_rolls_back_everything(database, settings):
    # create_user inserts inside a savepoint; a later failure must undo it on every backend.
    unit = UnitOfWork(database.sessionmaker)
    await create_user(unit, email="half@example.com", name="Half", password="correct horse battery staple",
                      passwords=password_hashing(settings))
    await unit.finish(commit=False)
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_operation_with_an_error_is_rolled_back(client, database):
    # createUser writes, then the second field of the same operation fails: nothing may be committed.
    # (signUp, which this test used, now stands alone: a credential field refuses any sibling.)
    _, token = await signed_in_admin(database)
    body = await client.gql(
        'mutation { createUser(input: {email: "gone@example.com", password: "correct horse battery staple",'
        ' name: "G"}) { user { id } errors { code } } deleteUser(id: "not-an-id") { deletedUserId } }',
        token=token,
    )
    assert body["data"] is None  # deleteUser's payload is non-null, so its error nulls the whole result
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1  # the admin alone
