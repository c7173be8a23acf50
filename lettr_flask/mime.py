"""MIME rendering of a Flask-Mail-style message, for ``Message.as_string()``/``as_bytes()``.

The structure follows Flask-Mail 0.10, so code and tests that inspect the rendered message
keep working: text only -> one ``text/plain`` part; attachments without alternatives ->
``multipart/mixed``; any alternative (``html``, ``alts``) -> ``multipart/mixed`` holding a
``multipart/alternative``. Sending never uses this rendering: the API takes JSON and the core
SMTP transport builds its own MIME from the core ``Email``.

TODO(dedup): when ``lettr_core`` has a public MIME builder, render through it instead.
"""

from __future__ import annotations

import re
import unicodedata
from email import policy
from email.charset import QP, SHORTEST, Charset
from email.encoders import encode_base64
from email.message import Message as MimeMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Any

from flask import current_app, has_app_context

from .helpers import force_text, sanitize_address, sanitize_addresses, sanitize_subject

_SPACES = re.compile(r"\s+")


def _ascii_attachments() -> bool:
    if not has_app_context():
        return False
    state = current_app.extensions.get("mail")
    return bool(getattr(state, "ascii_attachments", False))


def _charset(name: str) -> Charset:
    """A charset whose headers use the shorter of Q and B encoding, bodies left 8-bit."""
    charset = Charset(name)
    if charset.input_charset == "utf-8":
        charset.header_encoding = SHORTEST
        charset.body_encoding = None  # type: ignore[assignment]
    elif charset.body_encoding is None and charset.input_charset != "us-ascii":
        charset.body_encoding = QP
    return charset


def _text_part(text: str | None, subtype: str, charset_name: str) -> MIMEText:
    return MIMEText(text or "", _subtype=subtype, _charset=_charset(charset_name))  # type: ignore[arg-type]


def _ascii_filename(filename: str) -> str:
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    return _SPACES.sub(" ", folded).strip()


def _attachment_part(attachment: Any, ascii_only: bool) -> MIMEBase:
    maintype, _, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    data = attachment.data
    part.set_payload(data.encode("utf-8") if isinstance(data, str) else data)
    encode_base64(part)
    if attachment.filename is not None:
        filename = _ascii_filename(attachment.filename) if ascii_only else attachment.filename
        if filename.isascii():
            part.add_header("Content-Disposition", attachment.disposition, filename=filename)
        else:
            part.add_header(
                "Content-Disposition", attachment.disposition, filename=("UTF8", "", filename)
            )
    for name, value in (attachment.headers or {}).items():
        part.add_header(name, value)
    return part


def build_mime(message: Any) -> MimeMessage:
    """Render ``message`` (a :class:`~lettr_flask.Message` or look-alike) as MIME."""
    encoding = message.charset or "utf-8"
    attachments = list(message.attachments or [])
    alts = dict(message.alts or {})
    root: MimeMessage
    if not attachments and not alts:
        root = _text_part(message.body, "plain", encoding)
    else:
        root = MIMEMultipart()
        if alts:
            alternative = MIMEMultipart("alternative")
            alternative.attach(_text_part(message.body, "plain", encoding))
            for subtype, content in alts.items():
                alternative.attach(_text_part(content, subtype, encoding))
            root.attach(alternative)
        else:
            root.attach(_text_part(message.body, "plain", encoding))
    if message.subject:
        root["Subject"] = sanitize_subject(force_text(message.subject), encoding)
    root["From"] = sanitize_address(message.sender, encoding)
    root["To"] = ", ".join(sorted(set(sanitize_addresses(message.recipients, encoding))))
    root["Date"] = formatdate(message.date, localtime=True)
    root["Message-ID"] = message.msgId
    if message.cc:
        root["Cc"] = ", ".join(sorted(set(sanitize_addresses(message.cc, encoding))))
    if message.reply_to:
        root["Reply-To"] = sanitize_address(message.reply_to, encoding)
    for name, value in (message.extra_headers or {}).items():
        root[name] = value
    ascii_only = _ascii_attachments()
    for attachment in attachments:
        root.attach(_attachment_part(attachment, ascii_only))
    root.policy = policy.SMTP
    return root
