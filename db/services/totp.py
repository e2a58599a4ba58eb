"""The second factor's primitives: TOTP as RFC 6238 (SHA-1, 6 digits, 30-second steps) through pyotp, the
set-up QR code through segno, and recovery codes (80 random bits, only their SHA-256 stored)."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after the current one is still accepted
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off paper
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 4, 4  # 16 characters of 31: about 79 bits
_TOTP_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only: \d also matches other scripts' digits
_SEPARATORS = re.compile(r"[\s-]+")
_MAX_CODE_LENGTH = 64


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends and authenticator apps expect."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)


def qr_code_svg(uri: str) -> str:
    """The URI as a standalone SVG QR code (black on white, with the quiet zone scanners need)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, nl=False, light="#fff", dark="#000",
    )
    return out.getvalue().decode()


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def normalize_code(code: str) -> str:
    """What the user typed, without spaces and dashes, lower case (recovery codes are shown grouped)."""
    return _SEPARATORS.sub("", code[:_MAX_CODE_LENGTH]).lower()


def is_totp_code(code: str) -> bool:
    return _TOTP_CODE.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step, within the drift window around `now`, whose code `code` is; None when none is.
    The current step is tried first, then the neighbours; every comparison takes constant time."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_at(now)
    for step in sorted(range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1), key=lambda s: abs(s - current)):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code: enough for ~79 random bits (no one can search that space)."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()
