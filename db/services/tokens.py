"""Session tokens: 256 random bits, URL-safe; only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits
_MAX_TOKEN_LENGTH = 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Hex SHA-256: a lookup key, safe to store (a 256-bit random token cannot be guessed from it)."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_plausible_token(token: str) -> bool:
    """Cheap shape check before any database lookup; malformed tokens simply mean anonymous."""
    return 16 <= len(token) <= _MAX_TOKEN_LENGTH and token.isascii() and token.replace("-", "").replace("_", "").isalnum()
