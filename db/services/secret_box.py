"""Encryption of secrets the service must read back (authenticator secrets), with keys derived from the
SECRET_KEY setting, so a copy of the database alone does not yield them.

Key rotation: the first key encrypts, every key decrypts (Fernet: AES-128-CBC with HMAC-SHA256, via
`MultiFernet`). Put a new SECRET_KEY first and the old one in SECRET_KEY_FALLBACKS; each secret is
re-encrypted with the new key the next time it is used (`reencrypted`), and the old key can be dropped
once every stored secret has been rewritten (`usergraph rotate-secrets` rewrites them all at once).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Domain separation: the same SECRET_KEY may serve other purposes later; each derives its own key.
_PURPOSE = b"usergraph two-factor secrets v1"


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (a wrong or dropped key)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys or not all(keys):
            raise ValueError("SecretBox needs at least one non-empty key")
        self._primary = _fernet(keys[0])
        self._all = MultiFernet([self._primary, *(_fernet(key) for key in keys[1:])])

    def encrypt(self, plaintext: str) -> str:
        return self._primary.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._all.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key decrypts this secret") from None

    def reencrypted(self, ciphertext: str) -> str | None:
        """The same secret under the first key, or None when it already is (nothing to rewrite)."""
        try:
            self._primary.decrypt(ciphertext.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self._all.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key decrypts this secret") from None
