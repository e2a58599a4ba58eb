"""SECRET_KEY: required in production; in development generated once into the data directory (beside
the embedded SQLite file, else the working directory) and reused, so a restart keeps two-factor working.

`usergraph serve` calls `secret_keys` in its parent process before any worker starts, so the workers
only ever read the file; creating it is atomic anyway (a hard link that fails if the name exists), so
concurrent starts agree on one key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from api.settings import Settings

KEY_FILE_NAME = ".usergraph-secret-key"
_MIN_LENGTH = 32


class SecretKeyError(Exception):
    """SECRET_KEY is missing in production, or too short."""


def data_directory(settings: Settings) -> Path:
    """Where the embedded SQLite database lives; the working directory for any other database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent
    return Path.cwd()


def secret_keys(settings: Settings) -> list[str]:
    """The keys that encrypt (the first) and decrypt (all) stored secrets."""
    fallbacks = [key.strip() for key in _reveal(settings.secret_key_fallbacks).split(",") if key.strip()]
    if settings.secret_key is not None:
        # Surrounding whitespace (a secret file's newline) is not part of the key, and a comma could never
        # be moved into SECRET_KEY_FALLBACKS at the next rotation: the same key must work in both.
        key = _reveal(settings.secret_key).strip()
        if "," in key:
            raise SecretKeyError("SECRET_KEY must not contain a comma (SECRET_KEY_FALLBACKS is comma-separated)")
        if len(key) < _MIN_LENGTH:
            raise SecretKeyError(f"SECRET_KEY must be at least {_MIN_LENGTH} characters long")
        return [key, *fallbacks]
    if settings.is_production:
        raise SecretKeyError(
            "SECRET_KEY is required in production (it encrypts two-factor secrets): set it to a long random value"
        )
    return [development_key(data_directory(settings) / KEY_FILE_NAME), *fallbacks]


def _reveal(value: SecretStr | str | None) -> str:
    # A `model_copy(update=...)` of the settings (tests) skips validation and may hold a plain str.
    return value.get_secret_value() if isinstance(value, SecretStr) else (value or "")


def development_key(path: Path) -> str:
    """The key in `path`, created there (mode 0600) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(draft, path)  # fails if another process made it first: then its key is the key
            except FileExistsError:
                pass
        finally:
            draft.unlink(missing_ok=True)
    status = path.stat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        # Another local user could have written it first (/tmp), with a key they know.
        raise SecretKeyError(
            f"{path} is not private to this user (owner and mode 0600 expected): delete it, or set SECRET_KEY"
        )
    key = path.read_text().strip()
    if len(key) < _MIN_LENGTH:
        raise SecretKeyError(f"{path} does not hold a usable key: delete it to have a new one generated")
    return key
