"""The root `Mutation` type, grouped by audience: signing up and in, the viewer's own account, admins."""

from __future__ import annotations

import strawberry

from schema.mutations.accounts import AccountMutations
from schema.mutations.admin import AdminMutations
from schema.mutations.auth import AuthMutations
from schema.mutations.moderation import ModerationMutations
from schema.mutations.two_factor import TwoFactorMutations
from schema.mutations.viewer import ViewerMutations


@strawberry.type
class Mutation(
    AuthMutations, ViewerMutations, AdminMutations, ModerationMutations, TwoFactorMutations, AccountMutations
):
    pass
