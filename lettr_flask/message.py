"""Flask-Mail's message model: :class:`Message`, :class:`Attachment`, :class:`BadHeaderError`.

:class:`Message` keeps Flask-Mail 0.10's constructor, attributes and defaults, and adds
Lettr's extras (DESIGN.md, "Settings") as keyword-only arguments and attributes. After a send,
``message.lettr_result`` holds the core :class:`~lettr_core.SendResult` (None when sending was
suppressed).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import make_msgid
from mimetypes import guess_type
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

from .helpers import AddressLike, force_text, has_newline

if TYPE_CHECKING:
    from lettr_core import SendResult

    from .connection import Connection


class BadHeaderError(Exception):
    """A sender, recipient, reply-to or subject holds a line break (header injection)."""


class Attachment:
    """A file attached to a :class:`Message`, as in Flask-Mail.

    ``content_type`` is guessed from ``filename`` when not given, else ``text/plain`` for
    ``str`` data and ``application/octet-stream`` for bytes. ``disposition`` defaults to
    ``"attachment"``; an ``"inline"`` part is sent to Lettr as an inline image whose
    content id is its ``Content-ID`` header, else its file name.
    """

    def __init__(
        self,
        filename: str | None = None,
        content_type: str | None = None,
        data: str | bytes | None = None,
        disposition: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if data is None:
            raise ValueError("The 'data' argument is required.")
        if content_type is None and filename is not None:
            content_type = guess_type(filename)[0]
        if content_type is None:
            content_type = "text/plain" if isinstance(data, str) else "application/octet-stream"
        self.filename: str | None = filename
        self.content_type: str = content_type
        self.data: str | bytes = data
        self.disposition: str = disposition or "attachment"
        self.headers: dict[str, str] = {} if headers is None else headers

    def __repr__(self) -> str:
        return (
            f"Attachment(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.data)}, disposition={self.disposition!r})"
        )


def _default_sender() -> Any:
    """``MAIL_DEFAULT_SENDER`` of the current app, or None outside an app context."""
    if not has_app_context():
        return None
    state = current_app.extensions.get("mail")
    return getattr(state, "default_sender", None)


class Message:
    """One email, built the Flask-Mail way, with Lettr's extras on top.

    Flask-Mail arguments: ``subject``, ``recipients``, ``body``, ``html``, ``alts``,
    ``sender`` (default ``MAIL_DEFAULT_SENDER``; a ``(name, address)`` tuple becomes
    ``"name <address>"``), ``cc``, ``bcc``, ``attachments``, ``reply_to``, ``date``,
    ``charset``, ``extra_headers``, ``mail_options``, ``rcpt_options``.

    Lettr extras (keyword only): ``template_id`` (template slug), ``template_version``,
    ``project_id``, ``merge_global_data`` (substitution data), ``metadata``, ``tags`` (a
    list of at most one) or ``tag``, ``track_opens``, ``track_clicks``, ``transactional``,
    ``inline_css``, ``send_at`` (aware datetime), ``amp_html``, ``idempotency_key``,
    ``lettr_transport`` (``"api"`` or ``"smtp"`` for this message only).
    """

    def __init__(
        self,
        subject: str = "",
        recipients: list[AddressLike] | None = None,
        body: str | None = None,
        html: str | None = None,
        alts: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        sender: AddressLike | None = None,
        cc: list[AddressLike] | None = None,
        bcc: list[AddressLike] | None = None,
        attachments: list[Attachment] | None = None,
        reply_to: AddressLike | None = None,
        date: float | None = None,
        charset: str | None = None,
        extra_headers: dict[str, str] | None = None,
        mail_options: list[str] | None = None,
        rcpt_options: list[str] | None = None,
        *,
        template_id: str | None = None,
        template_version: int | None = None,
        project_id: int | None = None,
        merge_global_data: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: list[str] | None = None,
        tag: str | None = None,
        track_opens: bool | None = None,
        track_clicks: bool | None = None,
        transactional: bool | None = None,
        inline_css: bool | None = None,
        send_at: datetime | None = None,
        amp_html: str | None = None,
        idempotency_key: str | None = None,
        lettr_transport: str | None = None,
    ) -> None:
        sender = sender or _default_sender()
        if isinstance(sender, tuple):
            sender = f"{sender[0]} <{sender[1]}>"
        self.recipients: list[AddressLike] = recipients or []
        self.subject: str = subject
        self.sender: AddressLike | None = sender
        self.reply_to: AddressLike | None = reply_to
        self.cc: list[AddressLike] = cc or []
        self.bcc: list[AddressLike] = bcc or []
        self.body: str | None = body
        self.alts: dict[str, str] = dict(alts or {})
        self.html = html
        self.date: float | None = date
        self.msgId: str = make_msgid()
        self.charset: str | None = charset
        self.extra_headers: dict[str, str] | None = extra_headers
        self.mail_options: list[str] = mail_options or []
        self.rcpt_options: list[str] = rcpt_options or []
        self.attachments: list[Attachment] = attachments or []
        # Lettr extras
        self.template_id = template_id
        self.template_version = template_version
        self.project_id = project_id
        self.merge_global_data: dict[str, Any] = dict(merge_global_data or {})
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.tags: list[str] = list(tags or [])
        if tag is not None:
            self.tag = tag
        self.track_opens = track_opens
        self.track_clicks = track_clicks
        self.transactional = transactional
        self.inline_css = inline_css
        self.send_at = send_at
        self.amp_html = amp_html
        self.idempotency_key = idempotency_key
        self.lettr_transport = lettr_transport
        self.lettr_result: SendResult | None = None

    # -- Flask-Mail properties -------------------------------------------------------------
    @property
    def html(self) -> str | None:
        """The HTML alternative (stored in ``alts["html"]``, as Flask-Mail does)."""
        return self.alts.get("html")

    @html.setter
    def html(self, value: str | None) -> None:
        if value is None:
            self.alts.pop("html", None)
        else:
            self.alts["html"] = value

    @property
    def tag(self) -> str | None:
        """The one tag Lettr records (``tags[0]``)."""
        return self.tags[0] if self.tags else None

    @tag.setter
    def tag(self, value: str | None) -> None:
        self.tags = [] if value is None else [value]

    @property
    def send_to(self) -> set[AddressLike]:
        """Every envelope recipient: recipients, cc and bcc, without duplicates."""
        return {*self.recipients, *self.cc, *self.bcc}

    # -- rendering --------------------------------------------------------------------------
    def as_string(self) -> str:
        """The message as MIME text (what Flask-Mail would hand to an SMTP server)."""
        from .mime import build_mime

        return build_mime(self).as_string()

    def as_bytes(self) -> bytes:
        """The message as MIME bytes."""
        from .mime import build_mime

        return build_mime(self).as_bytes()

    def __str__(self) -> str:
        return self.as_string()

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    def __repr__(self) -> str:
        return f"<Message subject={self.subject!r} recipients={self.recipients!r}>"

    # -- checks and actions -----------------------------------------------------------------
    def has_bad_headers(self) -> bool:
        """True when the sender, a recipient, reply-to or the subject would inject a header.

        A subject may be folded (CRLF followed by a space or tab, RFC 5322 FWS); any other
        line break is bad.
        """
        return message_has_bad_headers(self)

    def is_bad_headers(self) -> bool:
        """Deprecated name of :meth:`has_bad_headers`."""
        warnings.warn(
            "'is_bad_headers' is renamed to 'has_bad_headers'.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.has_bad_headers()

    def send(self, connection: Connection) -> None:
        """Send through ``connection`` (a :class:`~lettr_flask.Connection`)."""
        connection.send(self)

    def add_recipient(self, recipient: AddressLike) -> None:
        """Append one address to ``recipients``."""
        self.recipients.append(recipient)

    def attach(
        self,
        filename: str | None = None,
        content_type: str | None = None,
        data: str | bytes | None = None,
        disposition: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Add an :class:`Attachment` built from the arguments."""
        self.attachments.append(Attachment(filename, content_type, data, disposition, headers))


def _as_header_text(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{value[0]} <{value[1]}>"
    return str(value)


def message_has_bad_headers(message: Any) -> bool:
    """Flask-Mail's header-injection rule, for our messages and duck-typed ones alike."""
    candidates = [message.sender, *message.recipients]
    if message.reply_to:
        candidates.append(message.reply_to)
    if any(has_newline(_as_header_text(value)) for value in candidates if value is not None):
        return True
    subject = force_text(message.subject) if message.subject else ""
    if subject and has_newline(subject):
        for number, line in enumerate(subject.split("\r\n")):
            if not line.strip() or has_newline(line):
                return True
            if number > 0 and line[0] not in " \t":
                return True
    return False
