"""Turn a Flask-Mail-style message into the core :class:`~lettr_core.Email`.

Duck-typed on purpose: it reads the attributes Flask-Mail 0.10's ``Message`` has, so a
``flask_mail.Message`` built by code that still imports Flask-Mail converts like ours. Lettr's
extras are read with ``getattr`` and a default, so a foreign message simply has none.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from email.utils import formatdate
from typing import Any

from lettr_core import Attachment as CoreAttachment
from lettr_core import Email, UnsupportedFeature, ValidationError

from .helpers import force_text

#: ``alts`` subtypes the core model can carry (subtype -> Email field)
_ALTERNATIVES = {"html": "html", "x-amp-html": "amp_html"}
#: Message attribute -> key of ``Email.options``
_OPTIONS = {
    "track_opens": "open_tracking",
    "track_clicks": "click_tracking",
    "transactional": "transactional",
    "inline_css": "inline_css",
}


def unfold(text: str) -> str:
    """Undo RFC 5322 folding (CRLF followed by a space or tab) in a header value."""
    return text.replace("\r\n", "")


def _ascii_filename(filename: str) -> str:
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.split())


def _content_id(attachment: Any) -> str | None:
    for name, value in (getattr(attachment, "headers", None) or {}).items():
        if str(name).lower() == "content-id":
            return str(value)
    if getattr(attachment, "disposition", "attachment") == "inline":
        return attachment.filename
    return None


def convert_attachment(
    attachment: Any, *, ascii_filenames: bool = False, number: int = 1
) -> CoreAttachment:
    """A Flask-Mail ``Attachment`` (ours or Flask-Mail's) as a core attachment.

    An inline part (``disposition="inline"`` or a ``Content-ID`` header) becomes an inline
    attachment whose content id is that header, else its file name. An attachment without a
    file name (legal in Flask-Mail; Lettr's API needs one) is named ``attachment<number>``
    with an extension guessed from its type.
    """
    filename = attachment.filename
    if filename is not None and ascii_filenames:
        filename = _ascii_filename(filename)
    content_id = _content_id(attachment)
    if not filename and content_id is None:
        extension = mimetypes.guess_extension(attachment.content_type or "") or ".bin"
        filename = f"attachment{number}{extension}"
    return CoreAttachment(
        filename=filename,
        content=attachment.data,
        mimetype=attachment.content_type,
        content_id=content_id,
    )


def _tag(message: Any) -> str | None:
    tags = getattr(message, "tags", None)
    if tags is None:
        tag = getattr(message, "tag", None)
        return None if tag is None else str(tag)
    tags = list(tags)
    if len(tags) > 1:
        raise ValidationError(
            f"Lettr records one tag per message, not {len(tags)}: {tags!r}", field="tags"
        )
    return str(tags[0]) if tags else None


def _bodies(message: Any) -> dict[str, str | None]:
    alts = dict(getattr(message, "alts", None) or {})
    bodies: dict[str, str | None] = {"text": message.body, "html": None, "amp_html": None}
    unknown = sorted(set(alts) - set(_ALTERNATIVES))
    if unknown:
        raise UnsupportedFeature(
            f"alternative part(s) {', '.join(unknown)} cannot be sent through Lettr: "
            f"it carries text, html and x-amp-html"
        )
    for subtype, field in _ALTERNATIVES.items():
        if alts.get(subtype) is not None:
            bodies[field] = force_text(alts[subtype])
    amp = getattr(message, "amp_html", None)
    if amp is not None:
        bodies["amp_html"] = force_text(amp)
    if bodies["text"] is not None:
        bodies["text"] = force_text(bodies["text"])
    return bodies


def _headers(message: Any) -> dict[str, str]:
    """``extra_headers``, plus Flask-Mail's ``Message-ID`` and ``Date`` for the SMTP wire
    (the API path drops them: Lettr sets those headers itself)."""
    headers: dict[str, str] = {}
    msg_id = getattr(message, "msgId", None)
    if msg_id:
        headers["Message-ID"] = str(msg_id)
    if getattr(message, "date", None) is not None:
        headers["Date"] = formatdate(message.date, localtime=True)
    for name, value in (getattr(message, "extra_headers", None) or {}).items():
        for existing in [key for key in headers if key.lower() == str(name).lower()]:
            del headers[existing]
        headers[str(name)] = force_text(value)
    return headers


def to_email(message: Any, *, ascii_attachments: bool = False) -> Email:
    """Build the core :class:`~lettr_core.Email` for ``message``.

    Raises the core's named errors (``lettr_core.errors``) for anything invalid.
    """
    options = {
        key: value
        for attr, key in _OPTIONS.items()
        if (value := getattr(message, attr, None)) is not None
    }
    subject = message.subject
    reply_to = message.reply_to
    return Email(
        from_email=message.sender,
        to=list(message.recipients or []),
        cc=list(message.cc or []),
        bcc=list(message.bcc or []),
        reply_to=[reply_to] if reply_to else [],
        # Flask-Mail's default subject is "" and means "no Subject header"
        subject=unfold(force_text(subject)) if subject else None,
        **_bodies(message),
        attachments=[
            convert_attachment(item, ascii_filenames=ascii_attachments, number=number)
            for number, item in enumerate(message.attachments or [], start=1)
        ],
        headers=_headers(message),
        metadata=dict(getattr(message, "metadata", None) or {}),
        tag=_tag(message),
        template_slug=getattr(message, "template_id", None),
        template_version=getattr(message, "template_version", None),
        project_id=getattr(message, "project_id", None),
        substitution_data=dict(getattr(message, "merge_global_data", None) or {}),
        options=options,
        send_at=getattr(message, "send_at", None),
        idempotency_key=getattr(message, "idempotency_key", None),
        transport=getattr(message, "lettr_transport", None),
    )
