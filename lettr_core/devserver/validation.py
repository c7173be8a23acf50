"""The dev server's check of a ``SendEmailRequest`` / ``ScheduleEmailRequest`` body.

The rules are the spec's (``openapi.json``) and Lettr's documented limits; the numbers come from
:mod:`lettr_core.limits`. The check is written independently of the client's own checks
(``lettr_core.addresses``, ``lettr_core.message``) on purpose: a bug in the client's payload
builder must show up as a 422 here, not be mirrored by the same code on both sides.

Errors are keyed the way Lettr (a Laravel application) keys them: the field name, with dotted
paths for items (``to.1``, ``attachments.0.data``, ``metadata.user_id``). The dev server is a
little stricter than Lettr in one way: unknown top-level fields and unknown ``options`` are
refused, so that a misspelt field (``scheduledAt``) is caught in tests instead of being ignored.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .. import limits

Errors = dict[str, list[str]]

#: top-level fields of SendEmailRequest
SEND_FIELDS = frozenset(
    (
        "from", "from_name", "subject", "to", "cc", "bcc", "reply_to", "reply_to_name", "html",
        "text", "amp_html", "project_id", "template_slug", "template_version", "tag", "metadata",
        "headers", "substitution_data", "options", "attachments",
    )
)
SCHEDULE_FIELDS = SEND_FIELDS | {"scheduled_at"}

# local part: RFC 5322 atext and dots, plus any non-ASCII (SMTPUTF8); domain: ASCII labels
# (the client IDNA-encodes domains, so a raw Unicode domain on the wire is a client bug)
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$"
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=]+$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII except ':' (RFC 5322 ftext)


def is_email(value: str) -> bool:
    """Whether ``value`` is one bare address as Lettr accepts it (``user@example.com``)."""
    local = value.rpartition("@")[0]
    return bool(_EMAIL.match(value)) and not (
        local.startswith(".") or local.endswith(".") or ".." in local
    )


class _Checker:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: Errors = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def present(self, field: str) -> bool:
        return self.body.get(field) is not None

    def optional_string(self, field: str, max_length: int | None = None) -> str | None:
        value = self.body.get(field)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(field, f"The {field} field must be a string.")
            return None
        if max_length is not None and len(value) > max_length:
            self.add(field, f"The {field} field must not be greater than {max_length} characters.")
        return value

    def email(self, field: str, value: object) -> None:
        if not isinstance(value, str):
            self.add(field, f"The {field} field must be a string.")
        elif len(value) > limits.MAX_ADDRESS_LENGTH:
            self.add(
                field,
                f"The {field} field must not be greater than {limits.MAX_ADDRESS_LENGTH} "
                "characters.",
            )
        elif not is_email(value):
            self.add(field, f"The {field} field must be a valid email address.")

    def address_list(self, field: str, required: bool) -> int:
        value = self.body.get(field)
        if value is None:
            if required:
                self.add(field, "At least one recipient email address is required.")
            return 0
        if not isinstance(value, list):
            self.add(field, f"The {field} field must be an array.")
            return 0
        if required and not value:
            self.add(field, "At least one recipient email address is required.")
        if field == "to" and len(value) > limits.MAX_RECIPIENTS_PER_REQUEST:
            self.add(
                field,
                f"The to field must not have more than {limits.MAX_RECIPIENTS_PER_REQUEST} items.",
            )
        for index, item in enumerate(value):
            self.email(f"{field}.{index}", item)
        return len(value)

    def string_map(self, field: str) -> dict[str, Any] | None:
        value = self.body.get(field)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(field, f"The {field} field must be an object.")
            return None
        for key, item in value.items():
            if not isinstance(item, str):
                self.add(f"{field}.{key}", f"The {field}.{key} value must be a string.")
        return value


def _check_metadata(check: _Checker) -> None:
    metadata = check.string_map("metadata")
    if metadata is None:
        return
    if len(metadata) > limits.MAX_METADATA_KEYS:
        check.add(
            "metadata", f"The metadata may not have more than {limits.MAX_METADATA_KEYS} keys."
        )
    for key, value in metadata.items():
        if len(key) > limits.MAX_METADATA_KEY_LENGTH:
            check.add(
                f"metadata.{key}",
                f"Metadata keys must not be longer than {limits.MAX_METADATA_KEY_LENGTH} "
                "characters.",
            )
        if isinstance(value, str) and len(value) > limits.MAX_METADATA_VALUE_LENGTH:
            check.add(
                f"metadata.{key}",
                f"Metadata values must not be longer than {limits.MAX_METADATA_VALUE_LENGTH} "
                "characters.",
            )


def _check_headers(check: _Checker) -> None:
    headers = check.string_map("headers")
    if headers is None:
        return
    if len(headers) > limits.MAX_CUSTOM_HEADERS:
        check.add(
            "headers", f"No more than {limits.MAX_CUSTOM_HEADERS} custom headers are allowed."
        )
    for name, value in headers.items():
        field = f"headers.{name}"
        if not _HEADER_NAME.match(name):
            check.add(field, f"{name!r} is not a valid header name.")
        elif name.lower() in limits.SYSTEM_MANAGED_HEADERS:
            check.add(field, f"The {name} header is managed by the system and cannot be set.")
        if isinstance(value, str):
            if len(value) > limits.MAX_HEADER_VALUE_LENGTH:
                check.add(
                    field,
                    f"Header values must not be longer than {limits.MAX_HEADER_VALUE_LENGTH} "
                    "characters.",
                )
            if "\r" in value or "\n" in value:
                check.add(field, "Header values must not contain line breaks.")


def _check_options(check: _Checker) -> None:
    options = check.body.get("options")
    if options is None:
        return
    if not isinstance(options, dict):
        check.add("options", "The options field must be an object.")
        return
    for key, value in options.items():
        if key not in limits.OPTION_NAMES:
            check.add(f"options.{key}", f"options.{key} is not a known option.")
        elif not isinstance(value, bool):
            check.add(f"options.{key}", f"The options.{key} field must be true or false.")


def _check_attachments(check: _Checker) -> None:
    attachments = check.body.get("attachments")
    if attachments is None:
        return
    if not isinstance(attachments, list):
        check.add("attachments", "The attachments field must be an array.")
        return
    total = 0
    for index, item in enumerate(attachments):
        prefix = f"attachments.{index}"
        if not isinstance(item, dict):
            check.add(prefix, "Each attachment must be an object with name, type and data.")
            continue
        for key, max_length in (
            ("name", limits.MAX_ATTACHMENT_NAME_LENGTH),
            ("type", limits.MAX_ATTACHMENT_TYPE_LENGTH),
        ):
            value = item.get(key)
            if not isinstance(value, str) or not value:
                check.add(f"{prefix}.{key}", f"The attachment {key} is required.")
            elif len(value) > max_length:
                check.add(
                    f"{prefix}.{key}",
                    f"The attachment {key} must not be greater than {max_length} characters.",
                )
        data = item.get("data")
        if not isinstance(data, str) or not data:
            check.add(f"{prefix}.data", "The attachment data is required.")
            continue
        total += len(data)
        if not _BASE64.match(data):
            check.add(f"{prefix}.data", "The attachment data must be base64 without line breaks.")
            continue
        try:
            base64.b64decode(data, validate=True)
        except binascii.Error:
            check.add(f"{prefix}.data", "The attachment data is not valid base64.")
    if total > limits.MAX_ATTACHMENTS_BASE64_BYTES:
        check.add(
            "attachments",
            f"The attachments must not exceed {limits.MAX_ATTACHMENTS_BASE64_BYTES} bytes in "
            "total after base64 encoding.",
        )


def parse_datetime(value: str) -> datetime | None:
    """Parse an ISO 8601 date-time (``Z`` or an offset; naive means UTC); None when invalid."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _check_scheduled_at(check: _Checker, now: float) -> None:
    value = check.body.get("scheduled_at")
    if value is None:
        check.add("scheduled_at", "The scheduled delivery time is required.")
        return
    if not isinstance(value, str) or (when := parse_datetime(value)) is None:
        check.add("scheduled_at", "The scheduled_at field must be an ISO 8601 date-time.")
        return
    start = datetime.fromtimestamp(now, timezone.utc)
    earliest = start + timedelta(seconds=limits.MIN_SCHEDULE_AHEAD_SECONDS)
    latest = start + timedelta(seconds=limits.MAX_SCHEDULE_AHEAD_SECONDS)
    if when < earliest:
        minutes = limits.MIN_SCHEDULE_AHEAD_SECONDS // 60
        check.add(
            "scheduled_at", f"The scheduled time must be at least {minutes} minutes in the future."
        )
    elif when > latest:
        hours = limits.MAX_SCHEDULE_AHEAD_SECONDS // 3600
        check.add("scheduled_at", f"The scheduled time must be within {hours} hours.")


def validate_send_request(body: object, *, scheduled: bool = False, now: float = 0.0) -> Errors:
    """Return the field errors of a send (or, with ``scheduled``, schedule) request body.

    ``now`` (unix seconds) anchors the scheduling window. An empty result means valid.
    """
    if not isinstance(body, dict):
        return {"body": ["The request body must be a JSON object."]}
    check = _Checker(body)
    allowed = SCHEDULE_FIELDS if scheduled else SEND_FIELDS
    for field in body:
        if field not in allowed:
            check.add(field, f"{field} is not a field of this request.")

    if not check.present("from"):
        check.add("from", "The sender email address is required.")
    else:
        check.email("from", body["from"])
    for field in ("reply_to",):
        if check.present(field):
            check.email(field, body[field])
    for field in ("from_name", "reply_to_name"):
        check.optional_string(field, limits.MAX_NAME_LENGTH)
    subject = check.optional_string("subject", limits.MAX_SUBJECT_LENGTH)
    html = check.optional_string("html")
    text = check.optional_string("text")
    check.optional_string("amp_html")
    slug = check.optional_string("template_slug", limits.MAX_TEMPLATE_SLUG_LENGTH)
    if not (html or text or slug):
        check.add("html", "One of html, text or template_slug is required.")
    if not slug and not subject:
        check.add("subject", "The subject is required when no template_slug is given.")

    count = check.address_list("to", required=True)
    count += check.address_list("cc", required=False)
    count += check.address_list("bcc", required=False)
    if count > limits.MAX_RECIPIENTS_PER_REQUEST:
        check.add(
            "to",
            f"The recipients (to, cc and bcc together) must not be more than "
            f"{limits.MAX_RECIPIENTS_PER_REQUEST}.",
        )

    for field, minimum in (("project_id", None), ("template_version", 1)):
        value = body.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            check.add(field, f"The {field} field must be an integer.")
        elif minimum is not None and value < minimum:
            check.add(field, f"The {field} field must be at least {minimum}.")

    if "tag" in body:
        tag = body["tag"]
        if not isinstance(tag, str):
            check.add("tag", "The tag field must be a string.")
        elif len(tag) > limits.MAX_TAG_LENGTH:
            check.add(
                "tag", f"The tag field must not be greater than {limits.MAX_TAG_LENGTH} characters."
            )

    _check_metadata(check)
    _check_headers(check)
    check.string_map("substitution_data")
    _check_options(check)
    _check_attachments(check)
    if scheduled:
        _check_scheduled_at(check, now)
    return check.errors
