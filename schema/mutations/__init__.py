"""The root `Mutation` type, grouped by audience."""

from __future__ import annotations

import strawberry

from schema.mutations.admin import AdminMutations


@strawberry.type
class Mutation(AdminMutations):
    pass
