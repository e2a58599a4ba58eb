"""SQLModel tables; importing this package registers all of them on `SQLModel.metadata`."""

from db.models.attempt import Attempt
from db.models.session import Session, SessionStatus
from db.models.user import Role, User

__all__ = ["Attempt", "Role", "Session", "SessionStatus", "User"]

# Email flows (issue 15).
from db.models.link_token import LinkToken  # noqa: E402
from db.models.outbox import OutboxMessage  # noqa: E402

__all__ += ["LinkToken", "OutboxMessage"]
