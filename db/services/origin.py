"""Who and where an action comes from: what sessions, the rate limiter and security events record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as recorded on its session, counted by the rate limiter and written on
    its security events."""

    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


class ActorKind(StrEnum):
    SELF = "SELF"  # the account's own user
    ADMIN = "ADMIN"
    ANONYMOUS = "ANONYMOUS"  # nobody signed in, e.g. a failed sign-in
    SYSTEM = "SYSTEM"  # the service itself, e.g. a ban that ended


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (on their own account or as an admin), nobody, or the service.

    `impersonation` is set when an admin acts through an impersonation session: the actor is then the
    admin (`user_id` = the admin, kind ADMIN), as CONTRACT.md asks.
    """

    kind: ActorKind
    user_id: uuid.UUID | None = None
    impersonation: bool = False

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Actor:
        return cls(ActorKind.SELF, user_id)

    @classmethod
    def admin(cls, user_id: uuid.UUID, *, impersonation: bool = False) -> Actor:
        return cls(ActorKind.ADMIN, user_id, impersonation)


ANONYMOUS = Actor(ActorKind.ANONYMOUS)
SYSTEM = Actor(ActorKind.SYSTEM)
