"""An operation cancelled half-way (the client went away, the server is shutting down) leaves no
partial write: the real DatabaseTransaction extension rolls the operation's session back and returns
its connection to the pool."""

from __future__ import annotations

import asyncio

import pytest
import strawberry
from sqlalchemy import func, select

from api.policies import context_config, password_hashing
from db.models import User
from db.services.users import create_user
from schema.context import Context
from schema.extensions import DatabaseTransaction
from schema.queries import Query


def _schema_with_a_two_step_mutation(halfway: asyncio.Event, never: asyncio.Event, settings) -> strawberry.Schema:
    passwords = password_hashing(settings)

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        async def two_users(self, info: strawberry.Info) -> bool:
            await create_user(info.context.unit, email="first@example.com", name="First", password="x7!Kq-pLm2#vR9",
                              passwords=passwords, field_prefix=())  # the row is in the database, uncommitted
            halfway.set()
            await never.wait()  # cancelled here
            await create_user(info.context.unit, email="second@example.com", name="Second", password="x7!Kq-pLm2#vR9",
                              passwords=passwords, field_prefix=())
            return True

    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[DatabaseTransaction])


async def _count_users(database) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_cancelled_mutation_writes_nothing(database, settings):
    halfway, never = asyncio.Event(), asyncio.Event()
    schema = _schema_with_a_two_step_mutation(halfway, never, settings)
    context = Context(database=database, config=context_config(settings))
    task = asyncio.ensure_future(schema.execute("mutation { twoUsers }", context_value=context))
    await halfway.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _count_users(database) == 0
    pool = database.engine.pool
    if hasattr(pool, "checkedout"):
        assert pool.checkedout() == 0


async def test_the_same_mutation_left_to_finish_commits_both_writes(database, settings):
    halfway, never = asyncio.Event(), asyncio.Event()
    schema = _schema_with_a_two_step_mutation(halfway, never, settings)
    task = asyncio.ensure_future(
        schema.execute("mutation { twoUsers }", context_value=Context(database=database, config=context_config(settings)))
    )
    await halfway.wait()
    never.set()
    result = await task
    assert result.errors is None and result.data == {"twoUsers": True}
    assert await _count_users(database) == 2
