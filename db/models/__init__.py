"""SQLModel tables; importing this package registers all of them on `SQLModel.metadata`."""

from db.models.session import Session, SessionStatus
from db.models.sign_in_failure import SignInFailure
from db.models.user import Role, User

__all__ = ["Role", "Session", "SessionStatus", "SignInFailure", "User"]
