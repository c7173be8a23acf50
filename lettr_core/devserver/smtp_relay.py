"""The dev server's SMTP relay: aiosmtpd with STARTTLS (or implicit TLS) and AUTH, as Lettr's.

The certificate is made at start by ``trustme``; its CA is written to a PEM file so clients can
verify the relay exactly as they verify ``smtp.lettr.com`` (``ssl.create_default_context(
cafile=server.ca_path)``). AUTH (PLAIN or LOGIN) is required: user ``lettr``, password a
``lttr_`` key. Each message is parsed into the same stored shape as an API request.
"""

from __future__ import annotations

import json
import logging
import ssl
import warnings
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

try:
    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the dev server needs aiosmtpd and trustme: pip install 'lettr-mail[devserver]'"
    ) from exc

#: the SMTP user name Lettr's relay expects
SMTP_USER = "lettr"


def _not_deprecation_noise(record: logging.LogRecord) -> bool:
    # aiosmtpd 1.4 warns about its own legacy attribute on every successful AUTH.
    return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_not_deprecation_noise)

StoreMessage = Callable[[dict[str, Any], list[bytes]], object]
AcceptsKey = Callable[[str], bool]


def make_tls(ca_path: str, hostnames: tuple[str, ...]) -> ssl.SSLContext:
    """A server TLS context with a fresh certificate for ``hostnames``; the CA goes to ca_path."""
    ca = trustme.CA()
    certificate = ca.issue_cert(*hostnames)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca.cert_pem.write_to_path(ca_path)
    return context


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    values = [str(value) for value in message.get_all(name, [])]
    return [(display, address) for display, address in getaddresses(values) if address]


def _content(part: object) -> str | None:
    if not isinstance(part, EmailMessage):
        return None
    content = part.get_content()
    return str(content).replace("\r\n", "\n")


def parse_mime(
    raw: bytes, envelope_from: str | None, envelope_to: list[str]
) -> tuple[dict[str, Any], list[bytes]]:
    """Parse one message received over SMTP into the stored shape and attachment contents.

    ``to``/``cc`` are the envelope recipients named in the To/Cc headers, ``bcc`` the envelope
    recipients named in neither, so a message sent through either door is stored alike.
    ``X-Lettr-Metadata`` (a JSON object) and ``X-Lettr-Tag`` fill ``metadata`` and ``tag``.
    """
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    warnings: list[str] = []
    header_to = {address.lower() for _, address in _addresses(message, "To")}
    header_cc = {address.lower() for _, address in _addresses(message, "Cc")}
    to = [rcpt for rcpt in envelope_to if rcpt.lower() in header_to]
    cc = [rcpt for rcpt in envelope_to if rcpt.lower() in header_cc and rcpt not in to]
    bcc = [rcpt for rcpt in envelope_to if rcpt not in to and rcpt not in cc]
    sender = _addresses(message, "From")
    reply_to = _addresses(message, "Reply-To")

    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    attachments: list[dict[str, Any]] = []
    contents: list[bytes] = []
    for part in message.walk():
        if part.is_multipart() or part is text_part or part is html_part:
            continue
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        attachments.append(
            {
                "name": part.get_filename() or "",
                "type": part.get_content_type(),
                "size": len(content),
            }
        )
        contents.append(content)

    metadata: dict[str, Any] | None = None
    raw_metadata = message.get("X-Lettr-Metadata")
    if raw_metadata is not None:
        try:
            loaded = json.loads(str(raw_metadata))
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            metadata = {str(key): value for key, value in loaded.items()}
        else:
            warnings.append("X-Lettr-Metadata is not a JSON object; ignored")
    tag = message.get("X-Lettr-Tag")

    stored: dict[str, Any] = {
        "request_id": None,
        "door": "smtp",
        "state": "delivered",
        "scheduled_at": None,
        "from": sender[0][1] if sender else (envelope_from or ""),
        "from_name": (sender[0][0] or None) if sender else None,
        "to": to,
        "cc": cc,
        "bcc": bcc,
        "reply_to": reply_to[0][1] if reply_to else None,
        "subject": str(message.get("Subject", "")),
        "text": _content(text_part),
        "html": _content(html_part),
        "amp_html": None,
        "headers": {name: str(value) for name, value in message.items()},
        "metadata": metadata,
        "tag": str(tag) if tag is not None else None,
        "template_slug": None,
        "template_version": None,
        "project_id": None,
        "substitution_data": None,
        "options": None,
        "attachments": attachments,
        "idempotency_key": None,
        "envelope_from": envelope_from,
        "envelope_to": list(envelope_to),
        "warnings": warnings,
        "raw": raw.decode("utf-8", "replace"),
    }
    return stored, contents


class RelayHandler:
    """aiosmtpd handler: authenticates ``lettr`` + key and stores each message."""

    def __init__(
        self,
        accepts_key: AcceptsKey,
        store_message: StoreMessage,
        on_auth_failure: Callable[[], None],
        should_fail: Callable[[], bool] = lambda: False,
    ) -> None:
        self._accepts_key = accepts_key
        self._store_message = store_message
        self._on_auth_failure = on_auth_failure
        self._should_fail = should_fail

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept user ``lettr`` with a key the dev server accepts; nothing else."""
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if user == SMTP_USER and self._accepts_key(password):
                return AuthResult(success=True, auth_data=user)
        self._on_auth_failure()
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message and answer 250; or, as a failing relay would, 451 and store nothing."""
        if self._should_fail():
            return "451 4.3.0 Temporary failure, please try again later"
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # pragma: no cover - only with decode_data=True
            raw = raw.encode("utf-8")
        stored, contents = parse_mime(raw, envelope.mail_from, list(envelope.rcpt_tos))
        self._store_message(stored, contents)
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to listen on port 0 (a free port)."""

    def factory(self) -> SMTP:
        """A session; without aiosmtpd's AUTH-without-STARTTLS warning, which is moot here:
        either the session is TLS from the first byte or plaintext was asked for (``tls=False``).
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return SMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()


def start_relay(
    handler: RelayHandler,
    host: str,
    port: int,
    tls_context: ssl.SSLContext | None,
    implicit_tls: bool = False,
) -> Controller:
    """Start the relay in its own thread; the bound port is ``controller.port``."""
    kwargs: dict[str, Any] = {
        "hostname": host,
        "port": port,
        "server_hostname": "localhost",
        "authenticator": handler.authenticate,
        "auth_required": True,
        "ready_timeout": 10.0,
    }
    if tls_context is None:
        kwargs["auth_require_tls"] = False
    elif implicit_tls:
        kwargs["ssl_context"] = tls_context
        kwargs["auth_require_tls"] = False  # the whole session is already encrypted
    else:
        kwargs["tls_context"] = tls_context
        kwargs["require_starttls"] = True
    controller = _Controller(handler, **kwargs)
    controller.start()
    return controller
