"""Typed settings, read from environment variables and `.env`."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./usergraph.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    direct_url: str | None = None
    db_pooler: Literal["transaction", "none"] | None = None
    environment: Literal["development", "production"] = "development"
    debug: bool = False
    graphiql: bool | None = None
    # Where GraphiQL's scripts come from: unpkg.com, or a mirror serving the same paths.
    graphiql_assets_url: str = "https://unpkg.com"
    introspection: bool | None = None
    # None: the usual development servers' origins outside production (`allowed_origins`), none in it.
    cors_origins: Annotated[list[str] | None, NoDecode] = None

    # 15 kept open rather than 5 + 10 overflow: the same ceiling, but a pool whose overflow is closed
    # on return as soon as 5 sit idle keeps closing and reopening connections under many short
    # concurrent requests, costing CPU and the tail. MAX_OVERFLOW still allows bursts above.
    pool_size: int = Field(15, ge=1)
    max_overflow: int = Field(0, ge=0)
    pool_recycle: int = Field(300, ge=-1)
    pool_pre_ping: bool = True
    # Seconds a pooled connection may sit idle and still be used without a test query (db/engine.py).
    pool_pre_ping_idle: float = Field(1.0, ge=0)
    pool_timeout: float = Field(10.0, gt=0)
    connect_timeout: float = Field(5.0, gt=0)
    statement_timeout_ms: int = Field(15_000, ge=0)
    health_timeout: float = Field(2.0, gt=0)
    startup_timeout: float = Field(30.0, ge=0)

    allow_sign_up: bool = True
    session_ttl_days: float = Field(30.0, gt=0)
    session_refresh_after_hours: float = Field(24.0, ge=0)
    cookie_name: str = "usergraph_session"
    # `none` for a frontend on another site (README "Same-site vs cross-site frontends"); such a cookie
    # is always Secure, DEBUG or not: browsers drop SameSite=None without it, and accept Secure on localhost.
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    # Failed password checks in a window: strict per email and client IP, a ceiling per email from all
    # IPs (so guesses from elsewhere cannot lock the owner out quickly), and per IP across emails.
    sign_in_max_failures_per_email_and_ip: int = Field(5, ge=1)
    sign_in_max_failures_per_email: int = Field(50, ge=1)
    sign_in_max_failures_per_ip: int = Field(20, ge=1)
    sign_in_window_minutes: float = Field(15.0, gt=0)
    sign_up_max_per_ip: int = Field(10, ge=1)
    sign_up_window_minutes: float = Field(60.0, gt=0)
    forwarded_allow_ips: str = "127.0.0.1"
    # Objects a document could return (schema/cost.py). 10,000 admits the documented nested query
    # (100 users x 5 sessions with their users: 1,801) with room to spare, and refuses what aliases and
    # nested pages of 100 would make a single request load and serialise (hundreds of thousands).
    max_query_cost: int = Field(10_000, ge=1)

    # Argon2id parameters (RFC 9106's second recommendation); hashes made with others are upgraded
    # on the next successful sign-in.
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_cost: int = Field(65536, ge=8)
    argon2_parallelism: int = Field(4, ge=1)
    # Password flows hashing at once. One core is left to the event loop (and the database), so a
    # burst of sign-ins does not stall every other request; more than the cores only slows each hash.
    # Unset: the CPU count minus one, at least 1 (`hashing_concurrency`).
    password_hashing_concurrency: int | None = Field(None, ge=1)

    @field_validator("cookie_samesite", mode="before")
    @classmethod
    def _lower_samesite(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def allowed_origins(self) -> list[str]:
        """The origins CORS admits with credentials: CORS_ORIGINS, else (development only) localhost and
        127.0.0.1 on the usual frontend ports (3000: Next.js, Create React App; 5173: Vite)."""
        if self.cors_origins is not None:
            return self.cors_origins
        if self.is_production:
            return []
        return [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in (3000, 5173)]

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def migration_url(self) -> str:
        return self.direct_url or self.database_url

    # --- Operations: logs, metrics, test-only endpoints -----------------------------------------
    log_format: Literal["json", "text"] | None = None  # default: text in development, JSON in production
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    access_log: bool = True
    metrics_enabled: bool = True
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <token>`
    # When set, `usergraph serve` answers /metrics on this port (same host) and the API port does not.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # Mounts /debug/sleep for the graceful-shutdown test; never mounted in production.
    test_endpoints: bool = False

    # --- Performance: all on by default; off to compare or to rule them out -------------------------
    # Freeze start-up objects out of the GC and collect generation 0 less often (api/runtime.py).
    gc_tuning: bool = True
    # Keep parsed and validated documents by their text (schema/validation.py); off only to measure them.
    graphql_caches: bool = True
    # POST /graphql skips FastAPI's router and cleanly validated POSTed operations skip Strawberry's
    # per-request machinery; queries run by cached execution plans and leaf fields skip graphql-core's
    # per-field machinery (schema/execution/). The standard paths answer whatever these do not model.
    graphql_fast_path: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def metrics_on_api_port(self) -> bool:
        """Whether the app mounts /metrics: not when it has a port of its own, and in production only
        behind METRICS_TOKEN (never public on the API port)."""
        if not self.metrics_enabled or self.metrics_port is not None:
            return False
        return self.metrics_token is not None or not self.is_production

    @property
    def hashing_concurrency(self) -> int:
        if self.password_hashing_concurrency is not None:
            return self.password_hashing_concurrency
        return max(1, (os.cpu_count() or 2) - 1)

    @property
    def resolved_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_production else "text"

    # --- Two-factor (README, "Two-factor sign-in") -------------------------------------------------
    # The issuer authenticator apps show beside the account's email.
    app_name: str = Field("usergraph", min_length=1, max_length=100)
    # Encrypts authenticator secrets at rest. Required in production; in development a key is generated
    # once into the data directory (api/secret_key.py). Rotation: the new key here, old ones in
    # SECRET_KEY_FALLBACKS (comma-separated), which still decrypt.
    secret_key: SecretStr | None = None
    secret_key_fallbacks: SecretStr | None = None

    @field_validator("secret_key", "secret_key_fallbacks", mode="before")
    @classmethod
    def _blank_secret_key_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


    # --- Email flows: mail delivery, links, expiries (README "Email flows") ------------------------------
    # smtp://user:pass@host:587?starttls=true, or smtps://user:pass@host:465 (implicit TLS).
    smtp_url: str | None = None
    mail_from: str = "usergraph <no-reply@localhost>"
    app_url: str = "http://localhost:3000"  # the frontend: links are APP_URL/reset-password?token=...
    app_name: str = "usergraph"
    # smtp, or log (messages and their links written to the log). Unset: smtp when SMTP_URL is set, else
    # log outside production; production without SMTP_URL refuses to start unless this says log.
    mail_backend: Literal["smtp", "log"] | None = None
    require_email_verification: bool = False
    password_reset_ttl_minutes: float = Field(60.0, gt=0)
    email_verification_ttl_hours: float = Field(24.0, gt=0)
    email_change_ttl_hours: float = Field(24.0, gt=0)
    password_reset_max_mails_per_email: int = Field(3, ge=1)  # an hour
    email_requests_max_per_ip: int = Field(10, ge=1)  # an hour
    email_verification_max_mails: int = Field(3, ge=1)  # an hour per account, sign-up's included
    security_notices_max_per_hour: int = Field(10, ge=1)  # to one address; past it, dropped (events stay)
    # The delivery worker: how often it looks for mail another process enqueued (its own it sends at
    # once), how long a claimed message is its own, and the SMTP timeout and retry backoff.
    mail_poll_seconds: float = Field(5.0, gt=0)
    mail_lease_seconds: float = Field(300.0, gt=0)
    smtp_timeout_seconds: float = Field(30.0, gt=0)
    mail_retry_base_seconds: float = Field(30.0, gt=0)
    mail_retry_max_seconds: float = Field(3600.0, gt=0)

    @field_validator("smtp_url", "mail_backend", mode="before")
    @classmethod
    def _blank_mail_setting_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_mail_backend(self) -> Literal["smtp", "log"]:
        """smtp or log; raises ValueError for production without SMTP_URL and without MAIL_BACKEND=log."""
        if self.mail_backend == "log":
            return "log"
        if self.smtp_url:
            return "smtp"
        if self.mail_backend == "smtp":
            raise ValueError("MAIL_BACKEND=smtp needs SMTP_URL")
        if self.is_production:
            raise ValueError("SMTP_URL is not set: set it, or MAIL_BACKEND=log to write mail to the log on purpose")
        return "log"

@lru_cache
def get_settings() -> Settings:
    return Settings()
