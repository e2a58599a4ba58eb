"""GraphQL enums; `Role` is the database's own enum, so rows need no conversion."""

from __future__ import annotations

import enum

import strawberry

from db.models.user import Role as _Role
from db.models.session import SessionStatus as _SessionStatus

Role = strawberry.enum(_Role, name="Role")
SessionStatus = strawberry.enum(_SessionStatus, name="SessionStatus")


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class UserOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    EMAIL = "EMAIL"
    NAME = "NAME"
    LAST_SIGN_IN_AT = "LAST_SIGN_IN_AT"
