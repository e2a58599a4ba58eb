"""The Relay `Node` interface; database rows are returned as they are and typed here."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLAbstractType, GraphQLResolveInfo

from db.event_queries import SecurityEventRecord
from db.models import Session, User
from db.records import SessionRecord, UserRecord

_TYPE_NAMES: dict[type, str] = {User: "User", UserRecord: "User", Session: "Session", SessionRecord: "Session"}
_TYPE_NAMES[SecurityEventRecord] = "SecurityEvent"


@strawberry.interface(description="An object with a globally unique, opaque ID (Relay Global Object Identification).")
class Node:
    id: strawberry.ID

    @classmethod
    def resolve_type(cls, obj: Any, _info: GraphQLResolveInfo, _type: GraphQLAbstractType) -> str | None:
        return _TYPE_NAMES.get(type(obj))
