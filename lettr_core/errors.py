"""One error hierarchy for both wires (DESIGN.md, "Errors").

Every error raised while sending derives from :class:`LettrError`, which derives from
:class:`smtplib.SMTPException`, so code written against Django's or Flask-Mail's SMTP backend
(``except smtplib.SMTPException``) keeps working after the switch to the API. Recipient and
authentication errors also derive from their :mod:`smtplib` twins.

No error ever holds the API key: messages and bodies come from the server or from our own
checks, and neither includes request headers.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from typing import Any


class LettrError(smtplib.SMTPException):
    """Base of every error raised while building or sending a message.

    Attributes: ``status`` (HTTP status or None), ``smtp_code`` (SMTP reply code or None),
    ``error_code`` (Lettr's ``error_code``), ``message``, ``errors`` (field -> messages),
    ``body`` (the response body as text), ``retry_after`` (seconds or None), ``headers``.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        smtp_code: int | None = None,
        error_code: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
        body: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # not super(): the smtplib twins' __init__ take other arguments; ours set their fields
        smtplib.SMTPException.__init__(self, message)
        self.message = message
        self.status = status
        self.smtp_code = smtp_code
        self.error_code = error_code
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        self.body = body
        self.retry_after = retry_after
        self.headers: dict[str, str] = dict(headers or {})
        #: what was already sent when a split message failed part-way (a SendResult or None)
        self.partial_result: Any = None

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}{', ' + self.error_code if self.error_code else ''})")
        elif self.smtp_code is not None:
            parts.append(f"(SMTP {self.smtp_code})")
        if self.errors and list(self.errors.values()) != [[self.message]]:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
            parts.append(f"[{details}]")
        return " ".join(parts)

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[LettrError], message: str, state: dict[str, Any]) -> LettrError:
    error = cls.__new__(cls)
    LettrError.__init__(error, message)
    error.__dict__.update(state)
    return error


class AuthenticationError(LettrError, smtplib.SMTPAuthenticationError):  # type: ignore[misc]
    """The key or SMTP credentials were refused (HTTP 401, SMTP 535). Never retried."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        LettrError.__init__(self, message, **kwargs)
        self.smtp_error = message.encode("utf-8", "replace")
        if self.smtp_code is None:
            self.smtp_code = 535


class PermissionDenied(LettrError):
    """The key lacks the scope for this call (HTTP 403 ``insufficient_scope``)."""


class ValidationError(LettrError):
    """The message breaks a rule of Lettr's API; ``errors`` maps fields to messages.

    Raised by Lettr (HTTP 422) or by lettr-mail itself before any I/O, with ``status`` None.
    """

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        if field is not None and not kwargs.get("errors"):
            kwargs["errors"] = {field: [message]}
        super().__init__(message, **kwargs)
        self.field = field


class InvalidAddress(ValidationError):
    """An address is malformed (no ``@``, spaces, an invalid domain, too long)."""


class HeaderInjection(ValidationError):
    """CR or LF in an address, subject or header value: refused before any I/O."""


class LimitExceeded(ValidationError):
    """A documented limit of Lettr's API is exceeded (headers, tag, metadata, size...)."""


class ScheduleError(ValidationError):
    """``send_at`` is naive or outside Lettr's window (5 minutes to 3 days ahead)."""


class InvalidRecipient(ValidationError, smtplib.SMTPRecipientsRefused):
    """Recipients were refused (HTTP 422 on a recipient field, SMTP 550/553 at RCPT TO).

    ``recipients`` maps each refused address to ``(code, message)`` as smtplib does.
    """

    def __init__(
        self,
        message: str,
        *,
        recipients: Mapping[str, tuple[int, bytes]] | None = None,
        **kwargs: Any,
    ) -> None:
        ValidationError.__init__(self, message, **kwargs)
        self.recipients: dict[str, tuple[int, bytes]] = dict(recipients or {})


class SenderRefused(ValidationError, smtplib.SMTPSenderRefused):  # type: ignore[misc]
    """The SMTP server refused the sender at ``MAIL FROM`` with a 5xx reply.

    ``sender`` is the refused address, as in :class:`smtplib.SMTPSenderRefused`.
    """

    def __init__(self, message: str, *, sender: str = "", **kwargs: Any) -> None:
        ValidationError.__init__(self, message, **kwargs)
        self.sender = sender
        self.smtp_error = message.encode("utf-8", "replace")


class BadRequest(LettrError):
    """Lettr refused the request for a reason it did not classify (HTTP 400 ``send_error``)."""


class DomainError(BadRequest):
    """The sender domain is invalid or not configured (HTTP 400)."""


class TemplateNotFound(LettrError):
    """The template, project or version does not exist (HTTP 404 ``template_not_found``)."""


class NotFound(LettrError):
    """The resource does not exist (HTTP 404 ``not_found``)."""


class Conflict(LettrError):
    """The call conflicts with the resource's state (HTTP 409), e.g. a cancellation too late."""


class RateLimited(LettrError):
    """Too many requests (HTTP 429 ``rate_limit_exceeded``, SMTP 421). Retryable."""

    retryable = True


class QuotaExceeded(LettrError):
    """The daily or monthly quota is used up (HTTP 429 ``quota_exceeded``). Not retried."""


class ServerError(LettrError):
    """Lettr failed (HTTP 5xx, SMTP 451 and other 4xx). Retryable."""

    retryable = True


class TransportError(LettrError):
    """The connection failed: refused, reset, timed out, TLS failure. Retryable."""

    retryable = True


class UnsupportedFeature(LettrError):
    """The message asks for something the chosen wire cannot carry (never silently dropped)."""


class SmtpUtf8Unsupported(UnsupportedFeature):
    """An address has a non-ASCII local part but the SMTP server does not offer SMTPUTF8.

    Raised before ``MAIL FROM``, so nothing was sent.
    """


class ConfigurationError(ValueError):
    """A missing key or an invalid setting, raised when a backend is built, not while sending.

    Deliberately not a :class:`LettrError`: ``fail_silently`` never hides a misconfiguration.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
