"""What the access log and the metrics need to know about a GraphQL operation: its name, whether it
succeeded and who ran it, left on the HTTP request's scope state for `AccessLogMiddleware`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import inspect

from db.records import UserRecord
from schema.context import Context

STATE_KEY = "graphql_operation"


@dataclass(frozen=True)
class OperationRecord:
    name: str | None
    outcome: Literal["ok", "error"]
    user_id: str | None


async def record_operation(context: Context, name: str | None, outcome: Literal["ok", "error"]) -> None:
    """Leave the operation's name, outcome and user on the HTTP request; call it while the
    operation's session is still open."""
    request = context.request
    if request is None:
        return
    request.scope.setdefault("state", {})[STATE_KEY] = OperationRecord(
        name=name, outcome=outcome, user_id=await _resolved_user_id(context)
    )


async def _resolved_user_id(context: Context) -> str | None:
    """The viewer's user ID if the operation authenticated one; never authenticates just to log."""
    if context.current_session_id is None:
        return None
    viewer = await context.viewer()  # already resolved: no I/O
    if viewer is None:
        return None
    if isinstance(viewer.user, UserRecord):
        return str(viewer.user.id)
    # The identity survives a rollback that expired the row's attributes.
    identity = inspect(viewer.user).identity
    return str(identity[0]) if identity else None
