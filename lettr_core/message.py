"""The core message model: :class:`Email`, :class:`Attachment` and :class:`SendResult`.

An :class:`Email` normalises what it is given as soon as it is built: addresses are parsed
(IDNA domains, CR/LF refused), header names and values are checked, so a bad message fails
with a named error before any I/O. Wire-specific rules (Lettr's limits, MIME) are applied by
the payload builder and the SMTP transport.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .addresses import Address, check_no_crlf, parse_address, parse_address_list
from .errors import HeaderInjection, ValidationError

TransportName = Literal["api", "smtp"]
_HEADER_NAME_FORBIDDEN = set(" :\r\n\t")


@dataclass(eq=False)
class Attachment:
    """A file attached to an :class:`Email`; inline when ``content_id`` is set.

    ``content`` is bytes (a ``str`` is encoded as UTF-8). ``mimetype`` defaults to a guess
    from the filename, else ``application/octet-stream``.
    """

    filename: str | None
    content: bytes | str
    mimetype: str | None = None
    content_id: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.content, (bytearray, memoryview)):
            self.content = bytes(self.content)
        if not isinstance(self.content, (bytes, str)):
            raise ValidationError(
                f"attachment content must be bytes or str, not {type(self.content).__name__}",
                field="attachments",
            )
        if self.content_id is not None:
            self.content_id = self.content_id.strip().removeprefix("<").removesuffix(">")
            check_no_crlf(self.content_id, "attachments")
        if self.filename is not None:
            check_no_crlf(self.filename, "attachments")
        if not self.mimetype:
            guessed = mimetypes.guess_type(self.filename or "")[0] if self.filename else None
            self.mimetype = guessed or "application/octet-stream"
        check_no_crlf(self.mimetype, "attachments")

    @property
    def data(self) -> bytes:
        """The content as bytes."""
        content = self.content
        return content.encode("utf-8") if isinstance(content, str) else content

    @property
    def inline(self) -> bool:
        """True for an inline part referenced from the HTML as ``cid:<content_id>``."""
        return self.content_id is not None

    def __repr__(self) -> str:
        size = len(self.content)
        return (
            f"Attachment(filename={self.filename!r}, mimetype={self.mimetype!r}, "
            f"size={size}, content_id={self.content_id!r})"
        )


@dataclass(eq=False)
class Email:
    """One message, independent of the wire that will carry it.

    Address fields accept a string, a ``(name, address)`` tuple, an :class:`Address`, or a
    list of them; they are stored as lists of :class:`Address` (``from_email`` as one).
    ``options`` holds Lettr's delivery options (``open_tracking``, ``click_tracking``,
    ``transactional``, ``inline_css``, ``perform_substitutions``); only those set are sent.
    """

    from_email: Any
    to: Any = field(default_factory=list)
    cc: Any = field(default_factory=list)
    bcc: Any = field(default_factory=list)
    reply_to: Any = field(default_factory=list)
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    amp_html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    tag: str | None = None
    template_slug: str | None = None
    template_version: int | None = None
    project_id: int | None = None
    substitution_data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, bool] = field(default_factory=dict)
    send_at: datetime | None = None
    idempotency_key: str | None = None
    transport: TransportName | None = None
    #: raw ``SendEmailRequest`` fields deep-merged into the API body last (an escape hatch);
    #: any mapping, stored as a dict (checked in ``__post_init__``)
    esp_extra: Any = field(default_factory=dict)
    #: the SMTP ``MAIL FROM`` address when it differs from ``from_email`` (SMTP door only:
    #: Lettr's API sets the envelope sender itself)
    envelope_sender: Any = None

    def __post_init__(self) -> None:
        self.from_email = parse_address(self.from_email, "from")
        if self.envelope_sender is not None:
            self.envelope_sender = parse_address(self.envelope_sender, "envelope_sender")
        self.to = parse_address_list(self.to, "to")
        self.cc = parse_address_list(self.cc, "cc")
        self.bcc = parse_address_list(self.bcc, "bcc")
        self.reply_to = parse_address_list(self.reply_to, "reply_to")
        if self.subject is not None:
            self.subject = str(self.subject)
            check_no_crlf(self.subject, "subject")
        self.headers = _clean_headers(self.headers)
        self.attachments = [_as_attachment(item) for item in self.attachments or ()]
        self.metadata = dict(self.metadata or {}) if isinstance(self.metadata, Mapping) \
            else _not_a_mapping(self.metadata, "metadata")
        self.substitution_data = dict(self.substitution_data or {}) \
            if isinstance(self.substitution_data, Mapping) \
            else _not_a_mapping(self.substitution_data, "substitution_data")
        self.options = dict(self.options or {})
        self.esp_extra = dict(self.esp_extra or {}) if isinstance(self.esp_extra, Mapping) \
            else _not_a_mapping(self.esp_extra, "esp_extra")
        if self.tag is not None:
            check_no_crlf(str(self.tag), "tag")
        if self.idempotency_key is not None:
            check_no_crlf(str(self.idempotency_key), "idempotency_key")
        if self.transport not in (None, "api", "smtp"):
            raise ValidationError(
                f"transport must be 'api' or 'smtp', not {self.transport!r}", field="transport"
            )

    @property
    def recipients(self) -> list[Address]:
        """Every envelope recipient: to, cc and bcc."""
        return [*self.to, *self.cc, *self.bcc]

    def needs_api(self) -> list[str]:
        """Names of the API-only features this message uses (empty when SMTP can carry it)."""
        wanted = []
        if self.template_slug or self.template_version is not None or self.project_id:
            wanted.append("template")
        if self.substitution_data:
            wanted.append("substitution_data")
        if self.send_at is not None:
            wanted.append("send_at")
        if self.options:
            wanted.append("options")
        if self.esp_extra:
            wanted.append("esp_extra")
        lifted = {name.lower() for name in self.headers} & _API_ONLY_HEADERS
        wanted.extend(sorted(lifted))
        return wanted

    def __repr__(self) -> str:
        return (
            f"Email(from_email={str(self.from_email)!r}, to={[str(a) for a in self.to]!r}, "
            f"subject={self.subject!r})"
        )


_API_ONLY_HEADERS = frozenset(
    (
        "x-lettr-template-slug",
        "x-lettr-template-version",
        "x-lettr-project-id",
        "x-lettr-substitution-data",
    )
)


def _not_a_mapping(value: object, field_name: str) -> dict[str, Any]:
    raise ValidationError(
        f"{field_name} must be a mapping, not {type(value).__name__}", field=field_name
    )


def _clean_headers(headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    cleaned: dict[str, str] = {}
    for name, value in items:
        name = str(name)
        if not name or _HEADER_NAME_FORBIDDEN & set(name) or not name.isascii():
            raise HeaderInjection(f"header name {name!r} is not a valid header name",
                                  field="headers")
        text = str(value)
        check_no_crlf(text, f"headers[{name}]")
        cleaned[name] = text
    return cleaned


def _as_attachment(item: Any) -> Attachment:
    if isinstance(item, Attachment):
        return item
    if isinstance(item, tuple) and 2 <= len(item) <= 4:
        return Attachment(*item)
    raise ValidationError(
        f"attachments must be Attachment objects or (filename, content, mimetype) tuples, "
        f"not {type(item).__name__}",
        field="attachments",
    )


@dataclass
class SendResult:
    """What happened to one logical send.

    ``request_id`` is Lettr's id (None over SMTP); ``request_ids`` lists every id when the
    message was split across requests. ``accepted``/``rejected`` count recipients;
    ``rejected_recipients`` names the refused ones when the wire says (SMTP).
    ``transport`` is the door taken (``"api"`` or ``"smtp"``), ``status`` the HTTP status or
    SMTP reply code of the final answer, ``quota`` the ``X-Daily-*``/``X-Monthly-*`` headers.
    """

    request_id: str | None
    accepted: int
    rejected: int
    transport: TransportName
    status: int | None = None
    quota: dict[str, int] = field(default_factory=dict)
    request_ids: list[str] = field(default_factory=list)
    rejected_recipients: dict[str, tuple[int, str]] = field(default_factory=dict)
    idempotency_key: str | None = None
    scheduled: bool = False
    message: str | None = None
    fallback: bool = False

    @property
    def ok(self) -> bool:
        """True when at least one recipient was accepted."""
        return self.accepted > 0


_MERGED_DEFAULTS = ("metadata", "headers", "options", "substitution_data")


def apply_send_defaults(email: Email, defaults: Mapping[str, Any]) -> Email:
    """Fill ``email`` from ``defaults`` (``SEND_DEFAULTS``) in place and return it.

    Keys are :class:`Email` field names. Mappings (metadata, headers, options,
    substitution_data) are merged with the message's own entries winning; any other field
    is taken only when the message leaves it unset.
    """
    if not defaults:
        return email
    for name, value in defaults.items():
        if name not in _EMAIL_FIELDS:
            raise ValidationError(f"SEND_DEFAULTS has an unknown field {name!r}", field=name)
        if name in _MERGED_DEFAULTS:
            merged = {**dict(value), **getattr(email, name)}
            setattr(email, name, _clean_headers(merged) if name == "headers" else merged)
        elif getattr(email, name) in (None, [], {}):
            if name in ("to", "cc", "bcc", "reply_to"):
                value = parse_address_list(value, name)
            setattr(email, name, value)
    return email


_EMAIL_FIELDS = frozenset(Email.__dataclass_fields__)
