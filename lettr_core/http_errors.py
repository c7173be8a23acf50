"""Map Lettr's HTTP answers to the error hierarchy of :mod:`lettr_core.errors`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from . import errors

_RECIPIENT_FIELD = re.compile(r"^(to|cc|bcc)(\.\d+)?$")
_DOMAIN_CODES = {"invalid_domain", "unconfigured_domain"}
_QUOTA_CODES = {"quota_exceeded", "daily_quota_exceeded"}
_DEFAULT_MESSAGES = {
    400: "Lettr refused the request",
    401: "Lettr refused the API key",
    403: "the API key lacks the scope for this call",
    404: "not found",
    409: "the request conflicts with the resource's state",
    422: "Lettr refused the message as invalid",
    429: "too many requests",
}


def parse_json(content: bytes) -> Any:
    """The decoded JSON body, or None when it is empty or not JSON."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    import time

    return max(0.0, when - (now if now is not None else time.time()))


def error_from_response(
    status: int, content: bytes, headers: Mapping[str, str], reason: str = ""
) -> errors.LettrError:
    """Build the named error for a non-2xx answer."""
    data = parse_json(content)
    body_text = content[:20_000].decode("utf-8", "replace") if content else ""
    if not isinstance(data, dict):
        data = {}
    message = str(data.get("message") or _DEFAULT_MESSAGES.get(status) or reason
                  or f"HTTP {status}")
    code = data.get("error_code")
    code = str(code) if code is not None else None
    field_errors = data.get("errors") if isinstance(data.get("errors"), dict) else None
    kwargs: dict[str, Any] = {
        "status": status,
        "error_code": code,
        "errors": {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                   for k, v in (field_errors or {}).items()},
        "body": body_text,
        "headers": dict(headers),
    }
    if status == 401:
        return errors.AuthenticationError(message, **kwargs)
    if status == 403:
        return errors.PermissionDenied(message, **kwargs)
    if status == 404:
        cls: type[errors.LettrError] = (
            errors.TemplateNotFound if code == "template_not_found" else errors.NotFound
        )
        return cls(message, **kwargs)
    if status == 409:
        return errors.Conflict(message, **kwargs)
    if status == 400:
        if code in _DOMAIN_CODES:
            return errors.DomainError(message, **kwargs)
        return errors.BadRequest(message, **kwargs)
    if status == 422:
        fields = list(kwargs["errors"])
        if fields and all(_RECIPIENT_FIELD.match(f) for f in fields):
            return errors.InvalidRecipient(message, **kwargs)
        return errors.ValidationError(message, **kwargs)
    if status == 429:
        if code in _QUOTA_CODES:
            return errors.QuotaExceeded(message, **kwargs)
        kwargs["retry_after"] = retry_after_seconds(headers.get("Retry-After"))
        return errors.RateLimited(message, **kwargs)
    if status >= 500:
        return errors.ServerError(message, **kwargs)
    return errors.LettrError(message, **kwargs)


def quota_from_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """The ``X-Daily-*`` and ``X-Monthly-*`` quota headers, as ints, when present."""
    quota = {}
    for period in ("Daily", "Monthly"):
        for part in ("Limit", "Remaining", "Reset"):
            value = headers.get(f"X-{period}-{part}")
            if value is not None:
                try:
                    quota[f"{period.lower()}_{part.lower()}"] = int(value)
                except ValueError:
                    continue
    return quota
