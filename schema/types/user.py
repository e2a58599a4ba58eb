"""The GraphQL `User` type, resolved straight from a `db.models.User` row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from db.models import User as UserRow
from schema.relay import to_global_id
from schema.types.enums import Role
from schema.types.node import Node


@strawberry.type(name="User", description="A person who can sign in.")
class User(Node):
    email: str
    name: str
    image: str | None
    email_verified: bool
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None

    @strawberry.field
    def id(self) -> strawberry.ID:  # `self` is the UserRow
        return strawberry.ID(to_global_id("User", self.id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, UserRow)
