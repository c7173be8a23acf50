"""Turn an :class:`~lettr_core.Email` into ``SendEmailRequest`` bodies for Lettr's API.

Every documented limit is checked here, before any I/O, so a bad message costs a named error
instead of a 422 and a wasted request (and a slot of the team's rate limit).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import limits
from .addresses import Address
from .errors import InvalidAddress, LimitExceeded, ScheduleError, ValidationError
from .message import Email

#: ``X-Lettr-*`` request headers lifted into API fields (lower-case name -> field)
LIFTED_HEADERS = {
    "x-lettr-template-slug": "template_slug",
    "x-lettr-template-version": "template_version",
    "x-lettr-project-id": "project_id",
    "x-lettr-substitution-data": "substitution_data",
    "x-lettr-tag": "tag",
    "x-lettr-metadata": "metadata",
}
_TAG_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
_SCALARS = (str, int, float, Decimal)


class LazyBase64:
    """Attachment content that is base64-encoded only when the body is written.

    Keeps one copy of the encoded data (as bytes, inside the final body) instead of a ``str``
    in the payload, another in the JSON text and a third in its UTF-8 encoding: peak memory
    for a 5 MB message stays near twice its encoded size.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def encoded(self) -> bytes:
        """The base64 text, without line breaks."""
        return base64.b64encode(self.raw)

    def fingerprint(self) -> str:
        """A short digest standing for the content when comparing bodies."""
        return hashlib.blake2b(self.raw, digest_size=16).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyBase64) and other.raw == self.raw

    __hash__ = None  # type: ignore[assignment]


def build_payload(
    email: Email, *, now: datetime | None = None, lazy_data: bool = False
) -> dict[str, Any]:
    """Return the JSON-ready body for ``email`` (all recipients, not yet split).

    Raises a :class:`~lettr_core.errors.ValidationError` subclass for anything Lettr would
    refuse. ``now`` (aware) is injectable for scheduling checks. With ``lazy_data`` the
    attachments' ``data`` are :class:`LazyBase64` objects that :func:`encode_body` writes
    straight into the body (the wire path); without it they are base64 strings.
    """
    headers, lifted = _split_headers(email.headers)
    template_slug = email.template_slug or lifted.get("template_slug")
    template_version = (
        email.template_version
        if email.template_version is not None
        else lifted.get("template_version")
    )
    project_id = email.project_id if email.project_id is not None else lifted.get("project_id")
    substitution = {**lifted.get("substitution_data", {}), **email.substitution_data}
    metadata = {**lifted.get("metadata", {}), **email.metadata}
    tag = email.tag if email.tag is not None else lifted.get("tag")
    subject = lifted.get("subject", email.subject)

    if not email.to:
        raise ValidationError(
            "Lettr's API needs at least one 'to' recipient (cc/bcc alone are not enough)",
            field="to",
        )
    if not (email.html or email.text or template_slug):
        raise ValidationError(
            "a message needs a text or HTML body, or a template", field="html"
        )
    if not subject and not template_slug:
        # an empty subject counts as none: Lettr answers "" with 422 "subject is required"
        raise ValidationError("a message needs a subject unless it uses a template",
                              field="subject")
    if len(email.reply_to) > 1:
        raise ValidationError(
            "Lettr's API takes one reply-to address, not several", field="reply_to"
        )

    for kind in ("from_email", "to", "cc", "bcc", "reply_to"):
        value = getattr(email, kind)
        for address in value if isinstance(value, list) else [value]:
            _api_address(address, kind)
    sender: Address = email.from_email
    body: dict[str, Any] = {"from": sender.email}
    if sender.name:
        body["from_name"] = sender.name
    body["to"] = [a.email for a in email.to]
    if email.cc:
        body["cc"] = [a.email for a in email.cc]
    if email.bcc:
        body["bcc"] = [a.email for a in email.bcc]
    if email.reply_to:
        body["reply_to"] = email.reply_to[0].email
        if email.reply_to[0].name:
            body["reply_to_name"] = email.reply_to[0].name
    if subject:
        if len(subject) > limits.MAX_SUBJECT_LENGTH:
            raise LimitExceeded(
                f"subject is longer than {limits.MAX_SUBJECT_LENGTH} characters", field="subject"
            )
        body["subject"] = subject
    for name in ("html", "text", "amp_html"):
        value = getattr(email, name)
        if value:
            body[name] = str(value)
    if template_slug:
        if len(template_slug) > limits.MAX_TEMPLATE_SLUG_LENGTH:
            raise LimitExceeded("template_slug is too long", field="template_slug")
        body["template_slug"] = str(template_slug)
    if template_version is not None:
        body["template_version"] = _positive_int(template_version, "template_version")
    if project_id is not None:
        body["project_id"] = _positive_int(project_id, "project_id")
    if substitution:
        body["substitution_data"] = _string_map(substitution, "substitution_data")
    if metadata:
        body["metadata"] = _metadata(metadata)
    if tag is not None:
        body["tag"] = _tag(tag)
    if headers:
        body["headers"] = headers
    if email.options:
        body["options"] = _options(email.options)
    if email.attachments:
        body["attachments"] = _attachments(email, lazy_data)
    if email.send_at is not None:
        body["scheduled_at"] = scheduled_at(email.send_at, now=now)
    if email.esp_extra:
        deep_merge(body, email.esp_extra)
    return body


def deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into ``target`` in place: nested mappings merge, anything else replaces."""
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            deep_merge(current, value)
        else:
            target[key] = deep_merge({}, value) if isinstance(value, Mapping) else value
    return target


def encode_body(body: Mapping[str, Any], *, fingerprint: bool = False) -> bytes:
    """Compact UTF-8 JSON, as sent on the wire.

    :class:`LazyBase64` data are encoded into the result directly, or with ``fingerprint``
    replaced by a digest of their content (a cheap key for comparing bodies).
    """
    attachments = body.get("attachments")
    lazy = [item["data"] for item in attachments or () if isinstance(item["data"], LazyBase64)]
    if not lazy:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    marker = f"\x00{uuid.uuid4().hex}\x00"
    shallow = dict(body)
    shallow["attachments"] = [
        {**item, "data": marker} if isinstance(item["data"], LazyBase64) else item
        for item in attachments or ()
    ]
    text = json.dumps(shallow, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    pieces = text.split(json.dumps(marker).encode("ascii")[1:-1])
    parts: list[bytes] = [pieces[0]]
    for data, piece in zip(lazy, pieces[1:], strict=True):
        parts.append(data.fingerprint().encode("ascii") if fingerprint else data.encoded())
        parts.append(piece)
    return b"".join(parts)


def split_recipients(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield bodies of at most 50 recipients (to+cc+bcc) each, every one with a ``to``.

    cc and bcc recipients go in the first bodies (each receives one copy); ``to`` addresses
    are spread so every request has at least one.
    """
    to = body["to"]
    cc = body.get("cc", [])
    bcc = body.get("bcc", [])
    cap = limits.MAX_RECIPIENTS_PER_REQUEST
    if len(to) + len(cc) + len(bcc) <= cap:
        yield body
        return
    chunks_needed = -(-(len(to) + len(cc) + len(bcc)) // cap)
    if len(to) < chunks_needed:
        raise LimitExceeded(
            f"{len(cc) + len(bcc)} cc/bcc recipients need at least {chunks_needed} 'to' "
            f"recipients to be split into requests of {cap}",
            field="to",
        )
    # every request gets one `to`; the rest (cc and bcc first) fill requests in order
    parts: list[dict[str, list[str]]] = [
        {"to": [addr], "cc": [], "bcc": []} for addr in to[:chunks_needed]
    ]
    sizes = [1] * chunks_needed
    index = 0
    rest = [("cc", a) for a in cc] + [("bcc", a) for a in bcc]
    rest += [("to", a) for a in to[chunks_needed:]]
    for kind, addr in rest:
        while sizes[index] >= cap:
            index += 1
        parts[index][kind].append(addr)
        sizes[index] += 1
    common = {k: v for k, v in body.items() if k not in ("to", "cc", "bcc")}
    for part in parts:
        yield {**common, **{kind: addrs for kind, addrs in part.items() if addrs}}


def scheduled_at(send_at: datetime, *, now: datetime | None = None) -> str:
    """Check ``send_at`` against Lettr's window and format it as ISO 8601 UTC."""
    if not isinstance(send_at, datetime):
        raise ScheduleError("send_at must be a datetime", field="send_at")
    if send_at.tzinfo is None or send_at.utcoffset() is None:
        raise ScheduleError(
            "send_at must be timezone-aware (a naive datetime is ambiguous)", field="send_at"
        )
    now = now or datetime.now(timezone.utc)
    ahead = send_at - now
    if ahead < timedelta(seconds=limits.MIN_SCHEDULE_AHEAD_SECONDS):
        raise ScheduleError(
            "send_at must be at least 5 minutes in the future", field="send_at"
        )
    if ahead > timedelta(seconds=limits.MAX_SCHEDULE_AHEAD_SECONDS):
        raise ScheduleError("send_at must be at most 3 days ahead", field="send_at")
    return send_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- pieces ------------------------------------------------------------------------------


def _split_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    custom: dict[str, str] = {}
    lifted: dict[str, Any] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in LIFTED_HEADERS:
            lifted[LIFTED_HEADERS[lower]] = _lift(LIFTED_HEADERS[lower], value)
            continue
        if lower == "subject":
            lifted["subject"] = value  # a Subject header wins, as it does on the SMTP door
            continue
        if lower in limits.SYSTEM_MANAGED_HEADERS:
            continue  # Lettr sets these itself; sending them would be refused
        if len(value) > limits.MAX_HEADER_VALUE_LENGTH:
            raise LimitExceeded(
                f"header {name} is longer than {limits.MAX_HEADER_VALUE_LENGTH} characters",
                field="headers",
            )
        custom[name] = value
    if len(custom) > limits.MAX_CUSTOM_HEADERS:
        raise LimitExceeded(
            f"{len(custom)} custom headers: Lettr accepts at most {limits.MAX_CUSTOM_HEADERS}",
            field="headers",
        )
    return custom, lifted


def _lift(field: str, value: str) -> Any:
    if field in ("template_version", "project_id"):
        try:
            return int(value)
        except ValueError:
            raise ValidationError(
                f"X-Lettr header for {field} must be an integer", field=field
            ) from None
    if field in ("substitution_data", "metadata"):
        return _json_header(value, field)
    return value.strip()


def _json_header(value: str, field: str) -> dict[str, Any]:
    text = value.strip()
    if not text.startswith("{"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 inside
            raise ValidationError(
                f"X-Lettr header for {field} must be JSON or base64 JSON", field=field
            ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError(
            f"X-Lettr header for {field} must be JSON or base64 JSON", field=field
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(f"X-Lettr header for {field} must be a JSON object", field=field)
    return data


def _api_address(address: Address, field: str) -> None:
    """Refuse what the address parser allows for local SMTP only (``user@localhost``, address
    literals such as ``user@[127.0.0.1]``): Lettr's API answers them with a 422."""
    domain = address.domain
    if "." not in domain or domain.startswith("["):
        raise InvalidAddress(
            f"{field} {address.email!r} cannot go through Lettr's API: {domain!r} is not a "
            "public domain name",
            field="from" if field == "from_email" else field,
        )


def _positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{field} must be an integer", field=field) from None
    if value < 1:
        raise ValidationError(f"{field} must be 1 or more", field=field)
    return int(value)


def _scalar_to_str(value: Any, field: str, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        return str(value)
    raise ValidationError(
        f"{field}[{key!r}] must be a string or number, not {type(value).__name__}",
        field=field,
    )


def _string_map(data: Mapping[Any, Any], field: str) -> dict[str, str]:
    result = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValidationError(f"{field} keys must be strings", field=field)
        result[key] = _scalar_to_str(value, field, key)
    return result


def _metadata(metadata: Mapping[Any, Any]) -> dict[str, str]:
    if len(metadata) > limits.MAX_METADATA_KEYS:
        raise LimitExceeded(
            f"metadata has {len(metadata)} keys: Lettr accepts at most {limits.MAX_METADATA_KEYS}",
            field="metadata",
        )
    result = _string_map(metadata, "metadata")
    for key, value in result.items():
        if not key or len(key) > limits.MAX_METADATA_KEY_LENGTH:
            raise LimitExceeded(
                f"metadata key {key[:50]!r} must be 1 to {limits.MAX_METADATA_KEY_LENGTH} "
                "characters",
                field="metadata",
            )
        if len(value) > limits.MAX_METADATA_VALUE_LENGTH:
            raise LimitExceeded(
                f"metadata[{key!r}] is longer than {limits.MAX_METADATA_VALUE_LENGTH} characters",
                field="metadata",
            )
    return result


def _tag(tag: Any) -> str:
    text = str(tag)
    if len(text) > limits.MAX_TAG_LENGTH:
        raise LimitExceeded(
            f"tag is longer than {limits.MAX_TAG_LENGTH} characters", field="tag"
        )
    if not _TAG_CHARS.match(text):
        raise ValidationError(
            "tag may contain only letters, digits, '-' and '_'", field="tag"
        )
    return text


def _options(options: Mapping[str, Any]) -> dict[str, bool]:
    result = {}
    for name, value in options.items():
        if name not in limits.OPTION_NAMES:
            raise ValidationError(
                f"unknown option {name!r}; known: {', '.join(sorted(limits.OPTION_NAMES))}",
                field="options",
            )
        if value is None:
            continue
        if not isinstance(value, bool):
            raise ValidationError(f"option {name} must be true or false", field="options")
        result[name] = value
    return result


def _attachments(email: Email, lazy_data: bool) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    total = 0
    for attachment in email.attachments:
        name = attachment.content_id if attachment.inline else attachment.filename
        if not name:
            raise ValidationError("every attachment needs a file name", field="attachments")
        if len(name) > limits.MAX_ATTACHMENT_NAME_LENGTH:
            raise LimitExceeded(
                f"attachment name is longer than {limits.MAX_ATTACHMENT_NAME_LENGTH} characters",
                field="attachments",
            )
        mimetype = attachment.mimetype or "application/octet-stream"
        if len(mimetype) > limits.MAX_ATTACHMENT_TYPE_LENGTH:
            raise LimitExceeded("attachment MIME type is too long", field="attachments")
        raw = attachment.data
        if not raw:
            # Lettr's schema needs data of at least one base64 character: a 422 otherwise
            raise ValidationError(f"attachment {name!r} is empty: Lettr's API refuses empty "
                                  "attachments", field="attachments")
        total += 4 * ((len(raw) + 2) // 3)
        if total > limits.MAX_ATTACHMENTS_BASE64_BYTES:
            raise LimitExceeded(
                "attachments exceed Lettr's 5 MB limit after base64 encoding",
                field="attachments",
            )
        result.append({"name": name, "type": mimetype, "data": ""})
    for item, attachment in zip(result, email.attachments, strict=True):
        raw = attachment.data
        item["data"] = LazyBase64(raw) if lazy_data else base64.b64encode(raw).decode("ascii")
    return result
