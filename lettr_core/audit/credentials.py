"""Recognising credentials by name and Lettr keys by shape, and masking them for output.

Shared by the Python and the config-file checks so both agree on what counts as a secret.
"""

from __future__ import annotations

import itertools
import re

#: A Lettr key anywhere in a string: live keys are ``lttr_`` + 64 characters, sandbox keys
#: ``lttr_sandbox_`` + more characters.
LETTR_KEY_RE = re.compile(r"lttr_sandbox_[A-Za-z0-9]{8,}|lttr_[A-Za-z0-9]{64}(?![A-Za-z0-9])")

#: An SMTP URL with a password in it: ``smtp://user:password@host:587``.
SMTP_URL_PASSWORD_RE = re.compile(r"\bsmtps?(?:\+\w+)?://[^\s:/@]*:([^\s@/]+)@", re.I)
#: Passwords in example URLs (``smtp://user:password@host``) that are not real secrets.
_EXAMPLE_PASSWORDS = {"password", "pass", "passwd", "pw", "pwd", "secret"}

_SECRET_TOKENS = {"PASSWORD", "PASSWD", "SECRET", "APIKEY"}
_SECRET_PAIRS = {("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("AUTH", "TOKEN")}
#: A name ending in one of these holds something *about* a secret, not the secret itself
#: (``PASSWORD_RESET_TIMEOUT``, ``SECRET_KEY_FILE``, ``AUTH_PASSWORD_VALIDATORS``).
_NOT_SECRET_LAST = {
    "DIR", "ENV", "ERROR", "FIELD", "FILE", "HASHERS", "HEADER", "HELP", "HINT", "LABEL",
    "LENGTH", "MESSAGE", "MODE", "MSG", "NAME", "PATH", "PATTERN", "POLICY", "PREFIX", "PROMPT",
    "REGEX", "REQUIRED", "SUFFIX", "TEMPLATE", "TEXT", "TIMEOUT", "TITLE", "URL", "VALIDATORS",
    "VAR",
}  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
#: Values that point somewhere else instead of holding the secret (or are computed from such a
#: reference): ``${SMTP_PASSWORD}``, ``$SMTP_PASSWORD``, ``%(here)s/x``, ``{{ secrets.X }}``,
#: ``!ENV ...``, vault references.
_REFERENCE_RE = re.compile(
    r"^(\$\{|\$[A-Za-z_][A-Za-z0-9_]*$|%\(|\{\{|!ENV\b|env:|@Microsoft\.KeyVault|vault:)", re.I
)
#: Placeholders, not secrets: ``<your password>``, ``***``, ``xxxx``, ``...``.
_PLACEHOLDER_RE = re.compile(r"^(<[^<>]+>|\*{3,}|[xX]{3,}|\.\.\.|\u2026)$")


def name_tokens(name: str) -> list[str]:
    """``smtpPassword`` / ``mail.password`` / ``API-KEY`` -> upper-case word tokens."""
    return [t for t in _NON_WORD.split(_CAMEL.sub("_", name).upper()) if t]


def is_credential_name(name: str) -> bool:
    """True when a variable, key or argument called ``name`` holds a secret."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in _NOT_SECRET_LAST:
        return False
    if _SECRET_TOKENS.intersection(tokens):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(tokens))


def is_reference(value: str) -> bool:
    """True for config values that refer to the environment or a vault (``${SMTP_PASSWORD}``)."""
    return bool(_REFERENCE_RE.match(value.strip()))


def is_secret_value(value: str) -> bool:
    """True for a value that holds a secret itself: not empty, a reference, a placeholder, a
    template (``... %(password)s ...``) or prose (three words or more)."""
    value = value.strip()
    return (
        bool(value)
        and not is_reference(value)
        and not _PLACEHOLDER_RE.match(value)
        and "%(" not in value
        and len(value.split()) < 3
    )


def has_lettr_key(value: str) -> bool:
    """True when ``value`` contains something shaped like a Lettr API key."""
    return LETTR_KEY_RE.search(value) is not None


def has_url_password(value: str) -> bool:
    """True when ``value`` contains an SMTP URL with a password (``smtp://u:pw@host``)."""
    return any(
        is_secret_value(m.group(1)) and m.group(1).lower() not in _EXAMPLE_PASSWORDS
        for m in SMTP_URL_PASSWORD_RE.finditer(value)
    )


def masked(value: str) -> str:
    """A stand-in for a secret that shows its type but none of its characters."""
    match = LETTR_KEY_RE.search(value)
    if has_url_password(value) and not match:
        return "smtp://****:****@****"
    if match:
        return "lttr_sandbox_****" if match.group().startswith("lttr_sandbox_") else "lttr_****"
    return "****"


def credential_message(name: str | None, value: str, where: str = "") -> str:
    """Message for a credential finding; the value only ever appears masked."""
    if has_lettr_key(value):
        what = "a Lettr API key"
    elif has_url_password(value):
        what = "an SMTP URL with a password"
    else:
        what = "a string literal"
    target = f" for {name}" if name else ""
    return f"{what}{target}{where} (value {masked(value)})"
