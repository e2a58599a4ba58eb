"""Arguments of the `users` connection: which users, in which order."""

from __future__ import annotations

import strawberry

from schema.types.enums import OrderDirection, Role, UserOrderField


@strawberry.input
class UserFilter:
    search: str | None = strawberry.field(default=None, description="Case-insensitive substring of email or name.")
    role: Role | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_banned: bool | None = None


@strawberry.input
class UserOrder:
    field: UserOrderField = UserOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.ASC
