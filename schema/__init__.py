"""The Strawberry schema: types and thin resolvers over the services in `db/`."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.extensions import DatabaseTransaction
from schema.mutations import Mutation
from schema.observability import RecordOperation
from schema.queries import Query
from schema.scalars import SCALARS
from schema.types.session import Session
from schema.types.user import User


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[User, Session],
        # RecordOperation after DatabaseTransaction: it finishes first, while the session is open.
        extensions=[DatabaseTransaction, RecordOperation],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )
