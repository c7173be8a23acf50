"""SMTP replies and socket failures -> the shared error hierarchy (DESIGN.md, "Errors").

535 -> :class:`AuthenticationError`, 550/553 at RCPT -> :class:`InvalidRecipient`, 5xx at
MAIL -> :class:`SenderRefused`, 421 -> :class:`RateLimited`, other 4xx ->
:class:`ServerError`, socket errors, timeouts and TLS failures -> :class:`TransportError`.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from .errors import (
    AuthenticationError,
    InvalidRecipient,
    LettrError,
    LimitExceeded,
    RateLimited,
    SenderRefused,
    ServerError,
    TransportError,
    ValidationError,
)

_AUTH_CODES = frozenset((530, 534, 535, 538))


def reply_text(reply: bytes | str) -> str:
    """An SMTP reply text as str (smtplib hands out bytes)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def error_from_reply(
    code: int,
    reply: bytes | str,
    *,
    stage: str,
    sender: str | None = None,
    recipients: dict[str, tuple[int, bytes]] | None = None,
) -> LettrError:
    """The :mod:`lettr_core.errors` error for an SMTP reply ``code`` at ``stage``.

    ``stage`` is the command that got the reply (``"connect"``, ``"EHLO"``, ``"MAIL"``,
    ``"RCPT"``, ``"DATA"``...).
    """
    text = reply_text(reply)
    message = f"the SMTP server refused {stage}: {text}".rstrip(": ")
    if code == 421:
        return RateLimited(
            f"the SMTP server is busy or limiting this client (421 at {stage}): {text}",
            smtp_code=code,
            body=text,
        )
    if code in _AUTH_CODES:
        return AuthenticationError(
            f"the SMTP server refused the credentials: {text}",
            smtp_code=code,
            body=text,
        )
    if 400 <= code < 500:
        return ServerError(
            f"temporary SMTP failure at {stage}: {text}",
            smtp_code=code,
            body=text,
        )
    if stage == "RCPT":
        refused = recipients or {}
        return InvalidRecipient(
            f"the SMTP server refused the recipient(s) {', '.join(refused) or '?'}: {text}",
            recipients=refused,
            field="to",
            smtp_code=code,
            body=text,
        )
    if stage == "MAIL":
        return SenderRefused(
            f"the SMTP server refused the sender {sender!r}: {text}",
            sender=sender or "",
            field="from",
            smtp_code=code,
            body=text,
        )
    if code == 552:
        return LimitExceeded(
            f"the SMTP server refused the message size: {text}",
            smtp_code=code,
            body=text,
        )
    if stage == "DATA":
        return ValidationError(
            f"the SMTP server refused the message: {text}",
            smtp_code=code,
            body=text,
        )
    return LettrError(message, smtp_code=code, body=text)


def socket_error(exc: BaseException, doing: str, where: str, timeout: float) -> TransportError:
    """A :class:`TransportError` saying what went wrong on the socket, in plain words."""
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, OSError
    ):
        exc = exc.__context__  # smtplib wraps the socket error it got while reading
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(
            f"TLS certificate verification failed for {where}: "
            f"{exc.verify_message or exc.reason}. The server's certificate is not trusted "
            f"by the default CA store; set SSL_CERT_FILE to a CA bundle that trusts it"
        )
    if isinstance(exc, ssl.SSLError):
        return TransportError(
            f"TLS failure {doing} {where}: {exc.reason or exc} (is SMTP_SECURITY right for this "
            f"port? 'ssl' is implicit TLS, usually 465; 'starttls' usually 587)"
        )
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return TransportError(f"timed out after {timeout:g}s {doing} {where}")
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(f"connection refused {doing} {where}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransportError(f"the SMTP server {where} closed the connection ({doing})")
    return TransportError(f"network error {doing} {where}: {exc}")


def timed_out(exc: BaseException) -> bool:
    """True when smtplib reports a read timeout as a disconnect (its context is the timeout)."""
    return isinstance(exc.__context__, (TimeoutError, socket.timeout))
