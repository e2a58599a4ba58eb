"""Root mutation fields, grouped by audience: signing up and in, and the viewer's own account."""

from __future__ import annotations

import strawberry

from schema.mutations.auth import AuthMutations
from schema.mutations.viewer import ViewerMutations


@strawberry.type
class Mutation(AuthMutations, ViewerMutations):
    pass
