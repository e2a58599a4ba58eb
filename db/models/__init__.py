"""SQLModel tables; importing this package registers all of them on `SQLModel.metadata`."""

from db.models.attempt import Attempt
from db.models.link_token import LinkToken
from db.models.outbox import OutboxMessage
from db.models.security_event import SecurityEvent
from db.models.session import Session, SessionStatus
from db.models.two_factor import RecoveryCode, TwoFactor, TwoFactorChallenge
from db.models.user import Role, User

__all__ = [
    "Attempt", "LinkToken", "OutboxMessage", "RecoveryCode", "Role", "SecurityEvent", "Session", "SessionStatus",
    "TwoFactor", "TwoFactorChallenge", "User",
]
