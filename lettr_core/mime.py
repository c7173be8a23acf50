"""MIME for the SMTP door: one core :class:`~lettr_core.Email` -> one RFC 5322 message.

Built with the stdlib :mod:`email` package (policy SMTP, UTF-8 bodies). The tree is::

    multipart/mixed                      (only when there are ordinary attachments)
      multipart/alternative              (only when there is more than one body)
        text/plain
        text/x-amp-html
        multipart/related                (only when inline images go with the HTML)
          text/html
          image/...  Content-ID: <cid>
      application/pdf ...                (attachments)

Bcc never appears in the headers (it lives only in the envelope). ``metadata`` travels as
``X-Lettr-Metadata`` (JSON, values as strings) and ``tag`` as ``X-Lettr-Tag``. The features
the SMTP door cannot carry are checked by the transport, not here.
"""

from __future__ import annotations

import email.policy
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email import headerregistry
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid
from typing import Any

from .addresses import Address
from .errors import ValidationError
from .message import Attachment, Email

#: the policy for messages whose addresses are all ASCII (headers RFC 2047-encoded as needed)
SMTP_POLICY = email.policy.SMTP.clone(cte_type="7bit")
#: the policy for messages that need SMTPUTF8 (raw UTF-8 in address headers, RFC 6532)
SMTPUTF8_POLICY = email.policy.SMTPUTF8.clone(cte_type="7bit")

METADATA_HEADER = "X-Lettr-Metadata"
TAG_HEADER = "X-Lettr-Tag"
#: headers the MIME builder owns; a custom header may not set them
_STRUCTURAL_HEADERS = frozenset(("content-type", "content-transfer-encoding", "mime-version"))
#: API-only headers (the API path lifts them into fields); never put on the SMTP wire
API_ONLY_HEADERS = frozenset(
    (
        "x-lettr-template-slug",
        "x-lettr-template-version",
        "x-lettr-project-id",
        "x-lettr-substitution-data",
    )
)
_FOLD_AT = 78


def needs_smtputf8(mail: Email) -> bool:
    """True when an address of ``mail`` has a non-ASCII local part (RFC 6531 SMTPUTF8)."""
    addresses = [mail.from_email, *mail.recipients, *mail.reply_to]
    return any(not address.local_part.isascii() for address in addresses)


def envelope_recipients(mail: Email) -> list[str]:
    """The RCPT TO addresses: to, cc and bcc, duplicates (case-insensitive) removed."""
    seen: set[str] = set()
    result = []
    for address in mail.recipients:
        key = address.email.lower()
        if key not in seen:
            seen.add(key)
            result.append(address.email)
    return result


def metadata_header_value(metadata: Mapping[str, Any]) -> str:
    """``metadata`` as compact JSON with string values, ASCII only.

    A value that is not a string is JSON-encoded (``42`` -> ``"42"``, ``True`` -> ``"true"``).
    When the header would not fit one 78-character line, entries are separated by ``", "`` so
    the header folds between entries instead of being RFC 2047-encoded.
    """
    values = {
        str(key): value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in metadata.items()
    }
    compact = json.dumps(values, separators=(",", ":"))
    if len(METADATA_HEADER) + 2 + len(compact) <= _FOLD_AT:
        return compact
    return json.dumps(values, separators=(", ", ":"))


def build_message(mail: Email) -> EmailMessage:
    """The MIME message for ``mail`` (headers and body; Bcc left out).

    Raises :class:`~lettr_core.errors.ValidationError` for a custom header that would
    clash with the MIME structure (Content-Type, Content-Transfer-Encoding, MIME-Version)
    or smuggle a Bcc header.
    """
    policy = SMTPUTF8_POLICY if needs_smtputf8(mail) else SMTP_POLICY
    message = EmailMessage(policy=policy)
    _set_headers(message, mail)
    body = _body(mail, policy)
    attachments = [a for a in mail.attachments if not (a.inline and mail.html is not None)]
    if attachments:
        mixed = _container("mixed", policy)
        mixed.attach(body)
        for attachment in attachments:
            mixed.attach(_attachment_part(attachment, policy))
        body = mixed
    _adopt(message, body)
    return message


def serialize(message: EmailMessage) -> bytes:
    """The message as bytes with CRLF line ends, ready for ``DATA``."""
    return message.as_bytes(policy=message.policy)


# -- headers ------------------------------------------------------------------------------
def _header_address(address: Address) -> headerregistry.Address:
    username, _, domain = address.email.rpartition("@")
    return headerregistry.Address(display_name=address.name, username=username, domain=domain)


def _set_headers(message: EmailMessage, mail: Email) -> None:
    generated: dict[str, Any] = {
        "From": _header_address(mail.from_email),
        "To": [_header_address(a) for a in mail.to],
        "Cc": [_header_address(a) for a in mail.cc],
        "Reply-To": [_header_address(a) for a in mail.reply_to],
        "Subject": mail.subject,
        "Date": format_datetime(datetime.now(timezone.utc)),
        "Message-ID": make_msgid(domain=mail.from_email.domain),
    }
    custom = _custom_headers(mail)
    custom_names = {name.lower() for name in custom}
    for name, value in generated.items():
        if value in (None, []) or name.lower() in custom_names:
            continue
        message[name] = value
    for name, value in custom.items():
        message[name] = value


def _custom_headers(mail: Email) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in mail.headers.items():
        lower = name.lower()
        if lower in _STRUCTURAL_HEADERS:
            raise ValidationError(
                f"header {name!r} is set by the MIME builder and cannot be given",
                field="headers",
            )
        if lower == "bcc":
            raise ValidationError(
                "a Bcc header would reveal the blind copies: use the bcc field", field="headers"
            )
        if lower in API_ONLY_HEADERS:
            continue  # the transport refuses or drops these before building
        headers[name] = value
    _replace(headers, TAG_HEADER, mail.tag)
    if mail.metadata:
        _replace(headers, METADATA_HEADER, metadata_header_value(mail.metadata))
    return headers


def _replace(headers: dict[str, str], name: str, value: str | None) -> None:
    if value is None:
        return
    for existing in [key for key in headers if key.lower() == name.lower()]:
        del headers[existing]
    headers[name] = str(value)


# -- body ---------------------------------------------------------------------------------
def _text_part(content: str, subtype: str, policy: email.policy.EmailPolicy[Any]) -> MIMEPart:
    part = MIMEPart(policy=policy)
    part.set_content(content, subtype=subtype)
    return part


def _body(mail: Email, policy: email.policy.EmailPolicy[Any]) -> MIMEPart:
    alternatives: list[MIMEPart] = []
    if mail.text is not None:
        alternatives.append(_text_part(mail.text, "plain", policy))
    if mail.amp_html is not None:
        alternatives.append(_text_part(mail.amp_html, "x-amp-html", policy))
    if mail.html is not None:
        html = _text_part(mail.html, "html", policy)
        inline = [a for a in mail.attachments if a.inline]
        if inline:
            related = _container("related", policy)
            related.attach(html)
            for attachment in inline:
                related.attach(_attachment_part(attachment, policy))
            html = related
        alternatives.append(html)
    if not alternatives:
        return _text_part(mail.text or "", "plain", policy)
    if len(alternatives) == 1:
        return alternatives[0]
    container = _container("alternative", policy)
    for part in alternatives:
        container.attach(part)
    return container


def _container(subtype: str, policy: email.policy.EmailPolicy[Any]) -> MIMEPart:
    part = MIMEPart(policy=policy)
    part.set_type(f"multipart/{subtype}")
    del part["MIME-Version"]  # set_type adds one; only the top level carries it
    return part


def _attachment_part(attachment: Attachment, policy: email.policy.EmailPolicy[Any]) -> MIMEPart:
    part = MIMEPart(policy=policy)
    maintype, _, subtype = (attachment.mimetype or "application/octet-stream").partition("/")
    if not subtype:
        maintype, subtype = "application", "octet-stream"
    if maintype == "message":
        # message/* may not be base64-encoded (RFC 2046 5.2.1): carry it as a nested message
        nested = email.message_from_bytes(attachment.data, policy=policy)
        cte = "7bit" if attachment.data.isascii() else "8bit"
        part.set_content(nested, subtype=subtype, cte=cte, **_disposition(attachment))
    else:
        part.set_content(attachment.data, maintype, subtype, **_disposition(attachment))
    if attachment.content_id is not None:
        part["Content-ID"] = f"<{attachment.content_id}>"
    return part


def _disposition(attachment: Attachment) -> dict[str, Any]:
    options: dict[str, Any] = {
        "disposition": "inline" if attachment.inline else "attachment",
    }
    if attachment.filename:
        options["filename"] = attachment.filename
    return options


def _adopt(message: EmailMessage, body: MIMEPart) -> None:
    """Move ``body``'s content headers and payload onto the top-level ``message``."""
    message["MIME-Version"] = "1.0"
    for name, value in _content_headers(body):
        message[name] = value
    message.set_payload(body.get_payload())


def _content_headers(part: MIMEPart) -> Iterable[tuple[str, Any]]:
    return [(name, value) for name, value in part.items() if name.lower().startswith("content-")]
