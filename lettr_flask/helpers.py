"""Flask-Mail's public string helpers: ``force_text`` and the ``sanitize_*`` functions.

They keep Flask-Mail 0.10's observable behaviour (same inputs, same outputs) because user code
and extensions call them directly; they are used by :mod:`lettr_flask.mime` for the
``as_string``/``as_bytes`` rendering only. Sending through Lettr goes through the core's own
address parser instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.header import Header
from email.utils import formataddr, parseaddr
from typing import Any

AddressLike = str | tuple[str, str]


class FlaskMailUnicodeDecodeError(UnicodeDecodeError):
    """A ``UnicodeDecodeError`` that also names the object that failed to decode."""

    def __init__(self, obj: Any, *args: Any) -> None:
        self.obj = obj
        super().__init__(*args)

    def __str__(self) -> str:
        return f"{super().__str__()}. You passed in {self.obj!r} ({type(self.obj)})"


def force_text(s: Any, encoding: str = "utf-8", errors: str = "strict") -> str:
    """Return ``s`` as ``str``: bytes are decoded, lazy strings and other objects forced.

    An exception whose ``str()`` cannot be decoded is rendered from its arguments instead.
    """
    if isinstance(s, str):
        return s
    try:
        return str(s, encoding, errors) if isinstance(s, bytes) else str(s)
    except UnicodeDecodeError as exc:
        if isinstance(s, Exception):
            return " ".join(force_text(arg, encoding, errors) for arg in s.args)
        raise FlaskMailUnicodeDecodeError(s, *exc.args) from exc


def render_text(s: Any, field: str) -> str:
    """:func:`force_text` for sending: a lazy string (Flask-Babel's ``lazy_gettext``...) whose
    rendering raises becomes a :class:`lettr_core.ValidationError` naming ``field``, so a
    broken translation fails before any I/O with an error the caller can recognise."""
    from lettr_core.addresses import as_text

    return as_text(s, field, render=force_text, passthrough=(FlaskMailUnicodeDecodeError,))


def _encode_header(text: str, encoding: str) -> str:
    """``text`` as an RFC 2047 header value in ``encoding``, falling back to UTF-8."""
    try:
        return Header(text, encoding).encode()
    except UnicodeEncodeError:
        return Header(text, "utf-8").encode()


def sanitize_subject(subject: str, encoding: str = "utf-8") -> str:
    """An ASCII subject unchanged; any other subject as RFC 2047 encoded words."""
    if subject.isascii():
        return subject
    return _encode_header(subject, encoding)


def sanitize_address(addr: AddressLike, encoding: str = "utf-8") -> str:
    """Format one address for a header: encoded display name, IDNA domain.

    ``addr`` is ``"Name <user@host>"``, a bare address, or a ``(name, address)`` tuple.
    """
    name, address = parseaddr(force_text(addr)) if isinstance(addr, str) else addr
    name = _encode_header(name, encoding)
    if not address.isascii():
        local, at, domain = address.partition("@")
        if at:
            address = f"{Header(local, encoding)}@{domain.encode('idna').decode('ascii')}"
        else:
            address = Header(address, encoding).encode()
    return formataddr((name, address))


def sanitize_addresses(addresses: Iterable[AddressLike], encoding: str = "utf-8") -> list[str]:
    """:func:`sanitize_address` applied to each of ``addresses``."""
    return [sanitize_address(one, encoding) for one in addresses]


def has_newline(text: str) -> bool:
    """True when ``text`` holds a CR or an LF."""
    return "\r" in text or "\n" in text
