"""SQLModel tables; importing this package registers all of them on `SQLModel.metadata`."""

from db.models.attempt import Attempt
from db.models.security_event import SecurityEvent
from db.models.session import Session, SessionStatus
from db.models.user import Role, User

__all__ = ["Attempt", "Role", "SecurityEvent", "Session", "SessionStatus", "User"]
