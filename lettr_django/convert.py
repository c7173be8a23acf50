"""Turn a Django ``EmailMessage`` into a :class:`lettr_core.Email`.

Everything Django lets a message carry is mapped or refused by name, never dropped silently:

- lazy strings (``gettext_lazy``) are forced; ``content_subtype = "html"`` makes the body HTML;
- ``EmailMultiAlternatives`` alternatives: ``text/html`` -> html, ``text/plain`` -> text,
  ``text/x-amp-html`` -> amp_html; any other type is an :class:`UnsupportedFeature`;
- attachments: Django 5.2+ ``EmailAttachment`` named tuples, legacy ``(filename, content,
  mimetype)`` tuples, ``MIMEBase`` objects (5.2) and ``email.message.MIMEPart`` objects (6.0+);
  a part with a ``Content-ID`` becomes an inline attachment (``cid:`` in the HTML);
- ``extra_headers``: a ``From`` or ``Reply-To`` there wins over ``from_email``/``reply_to``,
  as with Django's SMTP backend; ``X-Lettr-*`` headers are lifted into API fields by the core;
- the message extras of DESIGN.md (django-anymail spellings), read with ``getattr`` so they
  work on any ``EmailMessage``; see :data:`EXTRAS`.
"""

from __future__ import annotations

import email.message
import mimetypes
from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from email.utils import getaddresses
from typing import Any

from django.utils import timezone as dj_timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise

from lettr_core import Attachment, Email
from lettr_core.addresses import as_text
from lettr_core.errors import UnsupportedFeature, ValidationError

#: message extras read from any EmailMessage, and the Email field each one sets
EXTRAS = {
    "template_id": "template_slug",
    "template_version": "template_version",
    "project_id": "project_id",
    "merge_global_data": "substitution_data",
    "metadata": "metadata",
    "send_at": "send_at",
    "amp_html": "amp_html",
    "idempotency_key": "idempotency_key",
    "lettr_transport": "transport",
    "esp_extra": "esp_extra",
}
#: extras that become Lettr delivery ``options``
OPTION_EXTRAS = {
    "track_opens": "open_tracking",
    "track_clicks": "click_tracking",
    "transactional": "transactional",
    "inline_css": "inline_css",
}
#: django-anymail features Lettr cannot honour, and why
UNSUPPORTED_EXTRAS = {
    "merge_data": "per-recipient merge data (Lettr's substitution data is per message)",
    "merge_metadata": "per-recipient metadata",
    "merge_headers": "per-recipient headers",
    "envelope_sender": "a custom envelope sender (Lettr sets the Return-Path itself)",
}
AMP_MIMETYPE = "text/x-amp-html"
_WINNING_HEADERS = ("from", "reply-to")


def unsupported(feature: str, *, ignore: bool) -> None:
    """Raise :class:`UnsupportedFeature` for ``feature`` unless ``ignore``."""
    if not ignore:
        raise UnsupportedFeature(
            f"Lettr cannot honour {feature}; set LETTR['IGNORE_UNSUPPORTED_FEATURES'] = True "
            "to send without it"
        )


def to_email(message: Any, *, ignore_unsupported: bool = False) -> Email:
    """Convert one Django ``EmailMessage`` (or subclass) into a core :class:`Email`.

    Raises a :class:`lettr_core.errors.LettrError` subclass (``ValidationError``,
    ``UnsupportedFeature``...) for anything that cannot be sent as asked.
    """
    headers = {
        _text(k, "headers"): _text(v, f"headers[{k}]")
        for k, v in (message.extra_headers or {}).items()
    }
    winning = {k.lower(): headers.pop(k) for k in list(headers) if k.lower() in _WINNING_HEADERS}
    from_email = winning.get("from") or _text(message.from_email, "from_email")
    if "reply-to" in winning:
        reply_to: list[Any] = _header_addresses(winning["reply-to"])
    else:
        reply_to = _addresses(message.reply_to, "reply_to")

    text, html, amp_html = _bodies(message, ignore=ignore_unsupported)
    fields: dict[str, Any] = {
        "from_email": from_email,
        "to": _addresses(message.to, "to"),
        "cc": _addresses(message.cc, "cc"),
        "bcc": _addresses(message.bcc, "bcc"),
        "reply_to": reply_to,
        "subject": _text(message.subject, "subject") if message.subject is not None else None,
        "text": text,
        "html": html,
        "amp_html": amp_html,
        "headers": headers,
        "attachments": [
            to_attachment(item, index) for index, item in enumerate(message.attachments or ())
        ],
    }
    fields.update(_extras(message, ignore=ignore_unsupported))
    if amp_html and fields.get("amp_html") is None:
        fields["amp_html"] = amp_html
    templated = fields.get("template_slug") or any(
        name.lower() == "x-lettr-template-slug" for name in headers
    )
    if templated and not fields["subject"]:
        fields["subject"] = None  # Django's default "" must not blank the template's subject
    return Email(**fields)


def _addresses(values: Iterable[Any] | None, field: str) -> list[str]:
    return [_text(value, field) for value in values or ()]


def _text(value: Any, field: str) -> str:
    """``force_str(value)``; a lazy string (``gettext_lazy``, ``format_lazy``) whose rendering
    raises becomes a :class:`ValidationError` naming ``field``, before anything is sent."""
    return as_text(value, field, render=force_str)


def _plain_values(data: Any, field: str) -> Any:
    """Mapping values that are lazy strings rendered (metadata, merge data); the rest as is."""
    if not isinstance(data, dict):
        return data
    return {key: _text(value, f"{field}[{key}]") if isinstance(value, Promise) else value
            for key, value in data.items()}


def _header_addresses(value: str) -> list[tuple[str, str]]:
    return [(name, addr) for name, addr in getaddresses([value]) if addr]


def _bodies(message: Any, *, ignore: bool) -> tuple[str | None, str | None, str | None]:
    body = _text(message.body, "body") if message.body is not None else ""
    text: str | None = None
    html: str | None = None
    if getattr(message, "content_subtype", "plain") == "html":
        html = body or None
    else:
        text = body or None
    amp: str | None = None
    for alternative in getattr(message, "alternatives", None) or ():
        content, mimetype = alternative[0], alternative[1]
        kind = _text(mimetype or "", "alternatives").split(";")[0].strip().lower()
        value = _text(content, "alternatives")
        if kind == "text/html" and html is None:
            html = value
        elif kind == "text/plain" and text is None:
            text = value
        elif kind == AMP_MIMETYPE and amp is None:
            amp = value
        else:
            unsupported(f"an alternative body of type {kind!r}", ignore=ignore)
    return text, html, amp


def to_attachment(item: Any, index: int = 0) -> Attachment:
    """Convert one entry of ``EmailMessage.attachments`` into a core :class:`Attachment`."""
    if isinstance(item, email.message.Message):  # MIMEBase (5.2) and MIMEPart (6.0+)
        return _mime_attachment(item, index)
    try:
        filename, content, mimetype = (*tuple(item), None, None)[:3]
    except TypeError:
        raise ValidationError(
            f"attachment {index} is a {type(item).__name__}, not a tuple or MIME part",
            field="attachments",
        ) from None
    mimetype = _text(mimetype, "attachments") if mimetype else None
    filename = _text(filename, "attachments") if filename else None
    if mimetype is None and filename:
        mimetype = mimetypes.guess_type(filename)[0]
    mimetype = mimetype or "application/octet-stream"
    if mimetype.lower() == "message/rfc822":
        content = _message_bytes(content)
    elif isinstance(content, Promise):
        content = _text(content, "attachments")
    elif not isinstance(content, (bytes, bytearray, memoryview, str)):
        raise ValidationError(
            f"attachment {filename or index} content must be bytes or str, not "
            f"{type(content).__name__}",
            field="attachments",
        )
    return Attachment(filename or _default_name(index, mimetype), content, mimetype)


def _mime_attachment(part: email.message.Message, index: int) -> Attachment:
    mimetype = part.get_content_type()
    if part.is_multipart():
        payload: Any = part.get_payload()
        inner = payload[0] if mimetype == "message/rfc822" and payload else part
        content: bytes = inner.as_bytes()
    else:
        decoded = part.get_payload(decode=True)
        content = decoded if isinstance(decoded, bytes) else b""
    content_id = part.get("Content-ID")
    filename = part.get_filename()
    return Attachment(
        filename or _default_name(index, mimetype),
        content,
        mimetype,
        content_id=str(content_id) if content_id else None,
    )


def _message_bytes(content: Any) -> bytes:
    if hasattr(content, "message") and callable(content.message):  # a Django EmailMessage
        content = content.message()
    if isinstance(content, email.message.Message):
        return content.as_bytes()
    if isinstance(content, str):
        return content.encode("utf-8")
    return bytes(content)


def _default_name(index: int, mimetype: str) -> str:
    extension = mimetypes.guess_extension(mimetype) or ".bin"
    return f"attachment-{index + 1}{extension}"


def _extras(message: Any, *, ignore: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, field in EXTRAS.items():
        value = getattr(message, name, None)
        if value is None:
            continue
        if name == "send_at":
            value = to_datetime(value)
        elif name in ("template_id", "idempotency_key", "lettr_transport", "amp_html"):
            value = _text(value, name)
        elif name in ("metadata", "merge_global_data"):
            value = _plain_values(value, name)
        fields[field] = value
    options = {
        option: getattr(message, name)
        for name, option in OPTION_EXTRAS.items()
        if getattr(message, name, None) is not None
    }
    if options:
        fields["options"] = options
    tag = _tag(message, ignore=ignore)
    if tag is not None:
        fields["tag"] = tag
    for name, feature in UNSUPPORTED_EXTRAS.items():
        if getattr(message, name, None):
            unsupported(f"{feature} (django-anymail's {name})", ignore=ignore)
    return fields


def _tag(message: Any, *, ignore: bool) -> str | None:
    tag = getattr(message, "tag", None)
    tags = getattr(message, "tags", None)
    if isinstance(tags, (str, bytes)):
        tags = [tags]
    tags = [_text(t, "tags") for t in tags or ()]
    if tag is not None:
        tag = _text(tag, "tag")
        if tag not in tags:
            tags.insert(0, tag)
    if len(tags) > 1:
        unsupported(f"more than one tag ({', '.join(tags)}): Lettr takes one", ignore=ignore)
    return tags[0] if tags else None


def to_datetime(value: Any) -> datetime:
    """``send_at`` as an aware datetime.

    An aware datetime is kept; a naive one is read in Django's current time zone; a ``date``
    means midnight of that day in the current time zone; a number is a Unix timestamp.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return dj_timezone.make_aware(value, dj_timezone.get_current_timezone())
        return value
    if isinstance(value, date):
        midnight = datetime.combine(value, time.min)
        return dj_timezone.make_aware(midnight, dj_timezone.get_current_timezone())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    raise ValidationError(
        f"send_at must be a datetime, a date or a Unix timestamp, not {type(value).__name__}",
        field="send_at",
    )

