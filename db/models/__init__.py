"""SQLModel tables; importing this package registers all of them on `SQLModel.metadata`."""

from db.models.attempt import Attempt
from db.models.security_event import SecurityEvent
from db.models.session import Session, SessionStatus
from db.models.user import Role, User
from db.models.two_factor import RecoveryCode, TwoFactor, TwoFactorChallenge

__all__ = ["Attempt", "Role", "SecurityEvent", "Session", "SessionStatus", "User"]
__all__ += ["RecoveryCode", "TwoFactor", "TwoFactorChallenge"]
