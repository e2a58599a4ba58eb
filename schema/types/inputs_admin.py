"""Mutation inputs of the admin tools (planned/admin.graphql)."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.input
class BanUserInput:
    reason: str | None = None
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the ban ends by itself; null bans until unbanUser."
    )
