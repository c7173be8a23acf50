"""Address parsing: ``Name <addr>`` and bare addresses, IDNA domains, no CR/LF ever.

The parser is deliberately small and strict: it accepts what people put in ``From`` and ``To``
settings (display names with commas, quotes and any Unicode) and refuses anything that could
inject a header or that Lettr would answer with a 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import HeaderInjection, InvalidAddress, ValidationError
from .limits import MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH

_ANGLE = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>$", re.DOTALL)
_LOCAL_FORBIDDEN = re.compile(r'[\s<>()\[\]\\,;:"@\x00-\x1f\x7f]')
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
#: every character ``str.splitlines`` splits on
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class Address(NamedTuple):
    """One parsed address: ``name`` (may be empty) and ``email`` (domain in ASCII/punycode)."""

    name: str
    email: str

    @property
    def local_part(self) -> str:
        """The part before the ``@``."""
        return self.email.rpartition("@")[0]

    @property
    def domain(self) -> str:
        """The ASCII (IDNA-encoded) domain."""
        return self.email.rpartition("@")[2]

    def __str__(self) -> str:
        if not self.name:
            return self.email
        if re.search(r'[(),.:;<>@\[\]"\\]', self.name):
            escaped = self.name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}" <{self.email}>'
        return f"{self.name} <{self.email}>"


def as_text(
    value: object,
    field: str,
    render: Callable[[Any], str] = str,
    passthrough: tuple[type[BaseException], ...] = (),
) -> str:
    """``render(value)`` (``str`` by default; adapters pass their framework's ``force_str``);
    a value that fails to render (a lazy translation whose placeholder is missing, say) is a
    :class:`ValidationError` naming the field, never a bare exception. Exceptions in
    ``passthrough`` are raised as they are."""
    if isinstance(value, str):
        return value
    try:
        return render(value)
    except passthrough:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:200]
        raise ValidationError(
            f"{field} could not be rendered as text ({detail})", field=field
        ) from exc


def check_no_crlf(value: str, field: str) -> None:
    """Raise :class:`HeaderInjection` when ``value`` contains CR, LF or another character that
    Python's ``email`` package also treats as a line break (VT, FF, FS, GS, RS, NEL, U+2028,
    U+2029): in a header, each could end the line."""
    if _LINE_BREAKS.search(value):
        raise HeaderInjection(f"{field} contains a line break (CR/LF)", field=field)


def encode_domain(domain: str, field: str = "address") -> str:
    """Return ``domain`` in ASCII, IDNA-encoding any non-ASCII label; raise when invalid."""
    if not domain:
        raise InvalidAddress("address has no domain", field=field)
    domain = domain.rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower() if not domain.isascii() \
            else domain.lower()
    except UnicodeError as exc:
        raise InvalidAddress(f"domain {domain!r} cannot be IDNA-encoded", field=field) from exc
    if ascii_domain.startswith("[") and ascii_domain.endswith("]"):
        return ascii_domain  # an address literal such as [127.0.0.1]
    labels = ascii_domain.split(".")
    if ascii_domain == "localhost":
        return ascii_domain
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) \
            or len(labels[-1]) < 2:  # no top-level domain has one character
        raise InvalidAddress(f"domain {domain!r} is not a valid domain name", field=field)
    return ascii_domain


def _unquote_name(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        inner = name[1:-1]
        return re.sub(r"\\(.)", r"\1", inner)
    return name


def parse_address(value: object, field: str = "address") -> Address:
    """Parse ``value`` (``str``, ``(name, email)`` tuple or :class:`Address`) into an Address.

    Raises :class:`HeaderInjection` for CR/LF and :class:`InvalidAddress` for anything that is
    not one well-formed address.
    """
    if isinstance(value, Address):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        name, addr = (as_text(part, field) if part is not None else "" for part in value)
        check_no_crlf(name, field)
        check_no_crlf(addr, field)
        return Address(_check_name(name.strip(), field), _parse_addr_spec(addr.strip(), field))
    if not isinstance(value, str):
        raise InvalidAddress(
            f"{field} must be a string, not {type(value).__name__}", field=field
        )
    check_no_crlf(value, field)
    text = value.strip()
    if not text:
        raise InvalidAddress(f"{field} is empty", field=field)
    match = _ANGLE.match(text)
    if match:
        name = _unquote_name(match.group("name"))
        return Address(_check_name(name, field), _parse_addr_spec(match.group("addr"), field))
    if "<" in text or ">" in text:
        raise InvalidAddress(f"{field} {value!r} has unbalanced angle brackets", field=field)
    return Address("", _parse_addr_spec(text, field))


def _check_name(name: str, field: str) -> str:
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidAddress(
            f"{field} display name is longer than {MAX_NAME_LENGTH} characters", field=field
        )
    return name


def _parse_addr_spec(addr: str, field: str) -> str:
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local:
        raise InvalidAddress(f"{field} {addr!r} is not an email address", field=field)
    if local.startswith('"') and local.endswith('"') and len(local) >= 2:
        check_no_crlf(local[1:-1], field)
    elif _LOCAL_FORBIDDEN.search(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        raise InvalidAddress(f"{field} {addr!r} has an invalid local part", field=field)
    result = f"{local}@{encode_domain(domain, field)}"
    if len(result) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(
            f"{field} is longer than {MAX_ADDRESS_LENGTH} characters", field=field
        )
    return result


def parse_address_list(values: object, field: str) -> list[Address]:
    """Parse a list of addresses (a single string counts as a list of one)."""
    if values is None:
        return []
    if isinstance(values, (str, Address)):
        return [parse_address(values, field)]
    if isinstance(values, tuple) and len(values) == 2 and all(
        isinstance(part, str) for part in values
    ) and "@" in values[1] and "@" not in values[0]:
        return [parse_address(values, field)]
    try:
        items = list(values)  # type: ignore[call-overload]
    except TypeError as exc:
        raise InvalidAddress(f"{field} must be a list of addresses", field=field) from exc
    return [parse_address(item, field) for item in items]
