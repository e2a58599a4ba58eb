"""Root query fields."""

from __future__ import annotations

import strawberry

from schema.types.node import Node
from schema.types.user import User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null for an anonymous request.")
    async def viewer(self, info: strawberry.Info) -> User | None:
        viewer = await info.context.viewer()
        return viewer.user if viewer else None
