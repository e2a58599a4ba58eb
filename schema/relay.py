"""Relay global IDs: opaque base64 of `TypeName:uuid`."""

from __future__ import annotations

import base64
import binascii
import uuid

from schema.errors import BadUserInput


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def to_global_id(type_name: str, id_: uuid.UUID) -> str:
    # base64.urlsafe_b64encode, without its two Python-level wrappers: every object in a response has an ID.
    encoded = binascii.b2a_base64(f"{type_name}:{id_}".encode(), newline=False).translate(_URL_SAFE)
    return encoded.decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID]:
    """Split a global ID; anything malformed is the client's error, `BAD_USER_INPUT`."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw_id = base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition(":")
        if not type_name or not raw_id:
            raise ValueError
        return type_name, uuid.UUID(raw_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadUserInput(f"Malformed ID: {global_id[:100]!r}") from None


def expect_global_id(global_id: str, type_name: str) -> uuid.UUID | None:
    """The UUID when `global_id` names a `type_name`; None when it is another type's well-formed ID."""
    kind, id_ = from_global_id(global_id)
    return id_ if kind == type_name else None
