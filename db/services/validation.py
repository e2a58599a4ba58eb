"""Input rules for users: email, name, image and password strength."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import idna
from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from db.services.errors import ErrorCode, Problem

PASSWORD_MIN, PASSWORD_MAX = 8, 256
NAME_MAX, IMAGE_MAX = 100, 2048
# zxcvbn's l33t matcher tries every combination of the substitutions a password's characters allow, so
# its time grows exponentially with length: a crafted 72-character password took 4 s of CPU, 24 took
# 0.4 s, 16 at most 0.1 s. Passwords are scored on their first 16 characters: stricter for a long password
# whose start is weak, never laxer (a longer string never scores lower in zxcvbn's model).
_ZXCVBN_MAX = 16


def normalize_email(email: str, field: tuple[str, ...]) -> tuple[str | None, Problem | None]:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        return None, Problem(ErrorCode.INVALID_INPUT, f"Invalid email address: {error}", field)
    return result.normalized, None


def email_key(email: str) -> str:
    """The form in which emails are compared and kept unique: case-insensitive, as the contract says, and
    no looser, so that two addresses share a key only where they reach one mailbox. Computed here, not by
    SQL `lower()`, which folds only ASCII on SQLite and follows the locale on PostgreSQL.

    The local part is NFC-normalised and lower-cased (`Ünal` is `ünal`). Not case-folded or NFKC: those
    make `straße` and `strasse`, or fullwidth `ｖｉｃｔｉｍ` and `victim`, one account though a mail server
    may hold them as two mailboxes, so whoever signed up first with one would lock the other's owner out
    (their reset link going to the first). The domain is compared as DNS compares it: in its IDNA ASCII
    form, lower-cased (`faß.example` is `xn--fa-hia.example`, not `fass.example`)."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", email.strip()).lower()
    return f"{unicodedata.normalize('NFC', local).lower()}@{_domain_key(domain)}"


def _domain_key(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii").lower()
    except idna.IDNAError:  # not a valid domain: no mailbox either, any stable form will do
        return unicodedata.normalize("NFC", domain).lower()


def normalize_name(name: str, field: tuple[str, ...]) -> tuple[str | None, Problem | None]:
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        return None, Problem(ErrorCode.INVALID_INPUT, f"Name must be 1 to {NAME_MAX} characters", field)
    if any(_invisible_or_reordering(char) for char in name):
        return None, Problem(
            ErrorCode.INVALID_INPUT, "Name must not contain control, format or line-separator characters", field
        )
    return name, None


# Format characters with a place in real names: the zero-width joiner builds emoji sequences (woman,
# ZWJ, laptop: one glyph) and the non-joiner is part of Persian and Indic spelling. Neither reorders text.
_NAME_FORMAT_CHARACTERS = {"\u200c", "\u200d"}
# Cc: control characters (PostgreSQL refuses NUL outright); Cf: format characters, among them the
# bidirectional overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F) that make a
# name display as something else, invisible tags and the BOM; Cs: lone surrogates, which no database
# stores; Zl/Zp: line and paragraph separators, which break a name across lines in logs and pages.
_REFUSED_IN_NAMES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _invisible_or_reordering(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED_IN_NAMES and char not in _NAME_FORMAT_CHARACTERS


def normalize_image(image: str | None, field: tuple[str, ...]) -> tuple[str | None, Problem | None]:
    if image is None:
        return None, None
    image = image.strip()
    if not image:
        return None, None
    if len(image) > IMAGE_MAX or not _is_http_url(image):
        return None, Problem(
            ErrorCode.INVALID_INPUT, f"Image must be an http(s) URL of at most {IMAGE_MAX} characters", field
        )
    return image, None


def _is_http_url(text: str) -> bool:
    # urlsplit raises on a broken IPv6 host or port, and silently drops tabs and newlines; a control
    # character is never part of a valid URL (and PostgreSQL refuses NUL in text).
    if any(char == " " or unicodedata.category(char) == "Cc" for char in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def check_password_length(password: str, field: tuple[str, ...]) -> Problem | None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return Problem(
            ErrorCode.WEAK_PASSWORD, f"Password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", field
        )
    return None


def check_password(password: str, field: tuple[str, ...], user_inputs: list[str] = ()) -> Problem | None:
    """Length, then strength. The strength estimate costs up to 0.1 s of CPU: run it in the hashing
    threads (`PasswordHashing.check`), after the rate limits."""
    problem = check_password_length(password, field)
    if problem:
        return problem
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[value for value in user_inputs if value])
    if result["score"] < 2:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
        message = "Password is too easy to guess"
        return Problem(ErrorCode.WEAK_PASSWORD, f"{message}: {hint}" if hint else message, field)
    return None
