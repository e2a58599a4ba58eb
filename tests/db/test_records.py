"""Read-only records are rows of their models: the columns are declared once (db/models), a record holds
every column but the secrets, and whatever a GraphQL type reads straight off its parent is such a column."""

from __future__ import annotations

import pytest

from db.event_queries import SecurityEventRecord
from db.models import SecurityEvent, Session, User
from db.records import SessionRecord, UserRecord, columns_of, make_session_record, make_user_record
from schema.types.security_event import SecurityEvent as SecurityEventType
from schema.types.session import Session as SessionType
from schema.types.user import User as UserType

RECORDS = [
    (UserRecord, User, UserType, {"password_hash", "email_key"}),
    (SessionRecord, Session, SessionType, {"token_hash"}),
    (SecurityEventRecord, SecurityEvent, SecurityEventType, set()),
]


@pytest.mark.parametrize(("record", "model", "graphql_type", "secrets"), RECORDS, ids=lambda x: getattr(x, "__name__", ""))
def test_a_record_holds_every_column_of_its_model_but_the_secrets(record, model, graphql_type, secrets):
    columns = {column.name for column in model.__table__.columns}
    assert set(record.__slots__) == columns - secrets
    assert not hasattr(record(*[None] * len(record.__slots__)), "__dict__")  # slots only: a typo fails


@pytest.mark.parametrize(("record", "model", "graphql_type", "secrets"), RECORDS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_field_a_graphql_type_reads_off_its_parent_is_a_column_of_the_record(
    record, model, graphql_type, secrets
):
    plain = [field.python_name for field in graphql_type.__strawberry_definition__.fields if field.base_resolver is None]
    assert plain, "the type reads nothing straight off its parent: this test would prove nothing"
    assert [name for name in plain if name not in record.__slots__] == []


def test_records_share_the_models_rules():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    user = make_user_record([None] * len(UserRecord.__slots__))
    user.banned_at, user.ban_expires_at = now - timedelta(days=1), now + timedelta(days=1)
    assert user.is_banned_at(now) and not user.is_banned_at(now + timedelta(days=2))
    login = make_session_record([None] * len(SessionRecord.__slots__))
    login.revoked_at, login.expires_at = None, now + timedelta(hours=1)
    assert login.status_at(now).value == "ACTIVE" and login.status_at(now + timedelta(hours=2)).value == "EXPIRED"


def test_leaving_out_a_column_the_model_does_not_have_is_an_error():
    with pytest.raises(ValueError, match="password"):
        columns_of(Session, leaving_out=("password_hash",))
