"""Running a service in a unit of work of its own, ended as an API operation ends it: committed unless an
unexpected exception escaped (a `Rejected` is an answer, and its operation commits)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from db.services.errors import Rejected
from db.unit_of_work import UnitOfWork

T = TypeVar("T")


async def in_unit(database, work: Callable[[UnitOfWork], Awaitable[T]], *, commit: bool = True) -> T:
    unit = UnitOfWork(database.sessionmaker)
    ok = False
    try:
        result = await work(unit)
        ok = commit
        return result
    except Rejected:
        ok = commit
        raise
    finally:
        await unit.finish(commit=ok)


async def rejected_codes(database, work: Callable[[UnitOfWork], Awaitable[Any]]) -> list[str]:
    """The codes of the `Rejected` the work raises ([] when it succeeds)."""
    try:
        await in_unit(database, work)
    except Rejected as rejected:
        return [problem.code.value for problem in rejected.problems]
    return []
