"""Turn a libpq- or SQLAlchemy-style database URL into what the async drivers accept.

Neon and most hosts hand out libpq URLs (`postgres://…?sslmode=require&channel_binding=require`);
asyncpg rejects libpq-only parameters, so they are translated into driver arguments or dropped here,
once, instead of crashing deep inside the first connection.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

PoolerMode = Literal["transaction", "none"]

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}
_SSLMODES = {
    "disable": False,
    "allow": "prefer",
    "prefer": "prefer",
    "require": "require",
    "verify-ca": "verify-ca",
    "verify-full": "verify-full",
}
# libpq parameters asyncpg cannot take; they are dropped with a log line rather than failing.
_DROPPED = {
    "channel_binding", "target_session_attrs", "gssencmode", "krbsrvname", "requirepeer",
    "sslcompression", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout", "replication", "fallback_application_name", "sslsni", "load_balance_hosts",
}


_CHANNEL_BINDING = (
    "DATABASE_URL asks for channel_binding=%s, which asyncpg cannot do: the connection is protected by TLS "
    "instead (sslmode=%s; only verify-full also checks the server's certificate and host name)"
)


@functools.cache
def _say_once(level: int, message: str, *args: object) -> None:
    """A URL is parsed each time an engine is made (several times per start): say each thing once."""
    log.log(level, message, *args)


class DatabaseURLError(ValueError):
    """The configured URL cannot be used; the message is meant for an operator, on one line."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)
    pooler: PoolerMode = "none"

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def parse_database_url(
    raw: str,
    *,
    pooler: PoolerMode | None = None,
    connect_timeout: float = 5.0,
    command_timeout: float | None = None,
) -> DatabaseConfig:
    """Normalise `raw` for SQLAlchemy's async drivers; `pooler=None` means detect it from the host."""
    raw = (raw or "").strip()
    if not raw:
        raise DatabaseURLError("DATABASE_URL is empty")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseURLError(f"DATABASE_URL is not a valid URL: {_redact(raw)!r}") from None
    except ValueError:
        raise DatabaseURLError("DATABASE_URL has an invalid port") from None

    scheme = url.drivername
    if scheme in _SQLITE_SCHEMES:
        return DatabaseConfig(url=url.set(drivername="sqlite+aiosqlite"), pooler="none")
    if scheme not in _POSTGRES_SCHEMES:
        raise DatabaseURLError(
            f"unsupported database URL scheme {scheme!r}: use postgresql://… or sqlite+aiosqlite:///…"
        )
    if not url.host:
        raise DatabaseURLError("DATABASE_URL has no host name")

    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    if command_timeout:
        connect_args["command_timeout"] = command_timeout
    server_settings: dict[str, str] = {}
    for key, value in url.query.items():
        value = value[-1] if isinstance(value, tuple) else value
        if key == "sslmode":
            if value not in _SSLMODES:
                raise DatabaseURLError(f"unknown sslmode {value!r} in DATABASE_URL")
            connect_args["ssl"] = _SSLMODES[value]
        elif key == "ssl":
            connect_args["ssl"] = _SSLMODES.get(value, value)
        elif key == "connect_timeout":
            connect_args["timeout"] = float(value)
        elif key == "application_name":
            server_settings["application_name"] = value
        elif key == "options":
            # libpq sends `options` verbatim as a start-up parameter (Neon: `endpoint=…`).
            server_settings["options"] = value
        elif key == "channel_binding":
            _say_once(logging.WARNING if value == "require" else logging.INFO, _CHANNEL_BINDING, value,
                      url.query.get("sslmode", "prefer"))
        elif key in _DROPPED:
            _say_once(logging.INFO, "ignoring libpq-only parameter %r in the database URL", key)
        else:
            raise DatabaseURLError(f"unsupported parameter {key!r} in DATABASE_URL")
    if server_settings:
        connect_args["server_settings"] = server_settings

    mode: PoolerMode = pooler or ("transaction" if "-pooler" in url.host else "none")
    if mode == "transaction":
        # PgBouncer in transaction mode hands each transaction to any server connection, where a
        # statement prepared on another one does not exist: no statement cache, unique names.
        connect_args.update(
            statement_cache_size=0,
            prepared_statement_cache_size=0,
            prepared_statement_name_func=_unique_statement_name,
        )
    return DatabaseConfig(
        url=url.set(drivername="postgresql+asyncpg", query={}),
        connect_args=connect_args,
        pooler=mode,
    )


def _redact(raw: str) -> str:
    if "@" in raw and "://" in raw:
        scheme, rest = raw.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return raw
