"""The rules the lower layers follow, built once from the settings where the app or a command starts:
`db/` and `schema/` are handed these and never read the settings themselves."""

from __future__ import annotations

from datetime import timedelta

from api.secret_key import secret_keys
from api.settings import Settings
from db.services.auth import AuthPolicy
from db.services.email_flows import EmailFlowPolicy
from db.services.mail_messages import MailPolicy
from db.services.passwords import Argon2Params, PasswordHashing
from db.services.rate_limit import SignInLimits, SignUpLimits
from db.services.secret_box import SecretBox
from db.services.sessions import SessionPolicy
from db.services.two_factor import TwoFactorPolicy
from schema.context import ContextConfig
from schema.hooks import Hooks


def password_hashing(settings: Settings) -> PasswordHashing:
    params = Argon2Params(settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)
    return PasswordHashing(params=params, concurrency=settings.hashing_concurrency)


def sign_in_limits(settings: Settings) -> SignInLimits:
    return SignInLimits(
        per_email_and_ip=settings.sign_in_max_failures_per_email_and_ip,
        per_email=settings.sign_in_max_failures_per_email,
        per_ip=settings.sign_in_max_failures_per_ip,
        window=timedelta(minutes=settings.sign_in_window_minutes),
    )


def sign_up_limits(settings: Settings) -> SignUpLimits:
    return SignUpLimits(per_ip=settings.sign_up_max_per_ip, window=timedelta(minutes=settings.sign_up_window_minutes))


def auth_policy(settings: Settings) -> AuthPolicy:
    return AuthPolicy(
        allow_sign_up=settings.allow_sign_up,
        passwords=password_hashing(settings),
        sessions=SessionPolicy(
            ttl=timedelta(days=settings.session_ttl_days),
            refresh_after=timedelta(hours=settings.session_refresh_after_hours),
        ),
        sign_in_limits=sign_in_limits(settings),
        sign_up_limits=sign_up_limits(settings),
        two_factor=two_factor_policy(settings),
        require_email_verification=settings.require_email_verification,
    )


def two_factor_policy(settings: Settings) -> TwoFactorPolicy:
    return TwoFactorPolicy(secrets=SecretBox(secret_keys(settings)), issuer=settings.app_name)


def context_config(settings: Settings, hooks: Hooks = Hooks()) -> ContextConfig:
    return ContextConfig(
        auth=auth_policy(settings), cookie_name=settings.cookie_name, secure_cookies=not settings.debug, hooks=hooks,
        cookie_samesite=settings.cookie_samesite,
        email_flows=email_flow_policy(settings),
    )


def email_flow_policy(settings: Settings) -> EmailFlowPolicy:
    return EmailFlowPolicy(
        mail=MailPolicy(
            app_url=settings.app_url, app_name=settings.app_name, mail_from=settings.mail_from,
            notices_per_address_per_hour=settings.security_notices_max_per_hour,
        ),
        reset_ttl=timedelta(minutes=settings.password_reset_ttl_minutes),
        verification_ttl=timedelta(hours=settings.email_verification_ttl_hours),
        change_ttl=timedelta(hours=settings.email_change_ttl_hours),
        reset_mails_per_email=settings.password_reset_max_mails_per_email,
        requests_per_ip=settings.email_requests_max_per_ip,
        verification_mails_per_account=settings.email_verification_max_mails,
    )
