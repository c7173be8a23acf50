"""The SMTP door: :class:`SmtpTransport` sends core :class:`~lettr_core.Email` over smtplib.

Lettr's relay by default (``smtp.lettr.com``, STARTTLS on 587, implicit TLS on 465, user
``lettr``, password = the API key), any SMTP server by settings. TLS is always on and always
verified with :func:`ssl.create_default_context` (which honours ``SSL_CERT_FILE``); plaintext
is only allowed to a loopback host. One session is reused while the transport is open, and a
session the server dropped is re-opened once.

Reply codes map onto the same errors as the API (DESIGN.md, "Errors"): 535 ->
:class:`AuthenticationError`, 550/553 at RCPT -> :class:`InvalidRecipient`, 421 ->
:class:`RateLimited`, other 4xx -> :class:`ServerError`, socket/TLS failures ->
:class:`TransportError`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

from .config import DEFAULT_SMTP_HOST, DEFAULT_SMTP_USERNAME, LettrConfig, is_loopback_host
from .errors import (
    AuthenticationError,
    ConfigurationError,
    LettrError,
    SmtpUtf8Unsupported,
    TransportError,
    UnsupportedFeature,
    ValidationError,
)
from .message import Email, SendResult
from .mime import API_ONLY_HEADERS, build_message, envelope_recipients, needs_smtputf8, serialize
from .smtp_errors import error_from_reply, reply_text, socket_error, timed_out

log = logging.getLogger("lettr")

#: ``(config, tls_context or None) -> connected smtplib.SMTP`` (greeting read, nothing else).
#: The transport does EHLO, STARTTLS and AUTH itself, so a factory cannot skip TLS.
ConnectionFactory = Callable[[LettrConfig, "ssl.SSLContext | None"], smtplib.SMTP]

_RECIPIENT_OK = (250, 251)
_AUTH_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")


@functools.lru_cache(maxsize=1)
def _local_hostname() -> str:
    """The name sent in EHLO (looked up once per process: getfqdn() can be slow)."""
    return socket.getfqdn()


def default_connection(config: LettrConfig, context: ssl.SSLContext | None) -> smtplib.SMTP:
    """Connect to ``config.smtp_host``: implicit TLS for ``"ssl"``, plain TCP otherwise."""
    hostname = config.smtp_local_hostname or _local_hostname()
    if config.smtp_security == "ssl":
        return smtplib.SMTP_SSL(
            config.smtp_host,
            config.smtp_port or 465,
            local_hostname=hostname,
            timeout=config.smtp_timeout,
            context=context,
        )
    return smtplib.SMTP(
        config.smtp_host,
        config.smtp_port or 587,
        local_hostname=hostname,
        timeout=config.smtp_timeout,
    )


@dataclass(frozen=True)
class _Prepared:
    """One message turned into what the wire needs, before any I/O."""

    sender: str
    recipients: list[str]
    data: bytes
    smtputf8: bool
    idempotency_key: str | None


class _Reconnect(Exception):
    """The server dropped the session before DATA: safe to reconnect and retry once."""


class SmtpTransport:
    """Sends :class:`~lettr_core.Email` through an SMTP relay (Lettr's by default).

    ``connection_factory(config, tls_context)`` returns a connected :class:`smtplib.SMTP`
    (tests and adapters may inject one); the transport then does EHLO, STARTTLS and AUTH.
    The live smtplib session is :attr:`connection` (None while closed). Thread-safe: one
    lock guards the session, so concurrent sends are serialised on it.
    """

    def __init__(
        self, config: LettrConfig, *, connection_factory: ConnectionFactory | None = None
    ) -> None:
        self.config = config
        self._factory: ConnectionFactory = connection_factory or default_connection
        self._lock = threading.RLock()
        self._tls: ssl.SSLContext | None = None
        #: the live :class:`smtplib.SMTP` session, or None while closed
        self.connection: smtplib.SMTP | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> bool:
        """Connect, secure and log in unless already connected; True when a session opened."""
        with self._lock:
            if self.connection is not None:
                return False
            self.connection = self._connect()
            return True

    def close(self) -> None:
        """QUIT (or just close the socket when the server is gone); safe to call twice."""
        with self._lock:
            conn, self.connection = self.connection, None
            if conn is None:
                return
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                conn.close()

    def __enter__(self) -> SmtpTransport:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        cfg = self.config
        state = "open" if self.connection is not None else "closed"
        return (
            f"SmtpTransport({cfg.smtp_host}:{cfg.smtp_port}, security={cfg.smtp_security!r}, "
            f"user={cfg.smtp_user!r}, {state})"
        )

    # -- sending --------------------------------------------------------------------------
    def send(self, email: Email) -> SendResult:
        """Send one message on the shared session; raise a :class:`LettrError` on failure."""
        prepared = self.prepare(email)
        with self._lock:
            try:
                return self._send_prepared(prepared)
            except _ConnectFailed as failed:
                raise failed.error from None

    def send_many(self, emails: Iterable[Email]) -> list[SendResult | LettrError]:
        """Send each message on one session; each outcome is a result or the error it got.

        A failure to connect or log in is not retried per message: the remaining messages
        get the same error. Only a :class:`ConfigurationError` is raised.
        """
        outcomes: list[SendResult | LettrError] = []
        with self._lock:
            connect_error: LettrError | None = None
            for email in emails:
                if connect_error is not None:
                    outcomes.append(connect_error)
                    continue
                try:
                    outcomes.append(self._send_prepared(self.prepare(email)))
                except _ConnectFailed as failed:
                    connect_error = failed.error
                    outcomes.append(connect_error)
                except LettrError as error:
                    outcomes.append(error)
        return outcomes

    def prepare(self, email: Email) -> _Prepared:
        """Check ``email`` for the SMTP wire and build its MIME bytes (no I/O).

        Raises :class:`UnsupportedFeature` for API-only features (unless
        ``IGNORE_UNSUPPORTED_FEATURES`` is set, then they are dropped with a warning).
        """
        email = self._strip_api_features(email)
        recipients = envelope_recipients(email)
        if not recipients:
            raise ValidationError("the message has no recipients (to, cc or bcc)", field="to")
        return _Prepared(
            sender=(email.envelope_sender or email.from_email).email,
            recipients=recipients,
            data=serialize(build_message(email)),
            smtputf8=needs_smtputf8(email),
            idempotency_key=email.idempotency_key,
        )

    def _strip_api_features(self, email: Email) -> Email:
        features = email.needs_api()
        if not features:
            return email
        if not self.config.ignore_unsupported_features:
            raise UnsupportedFeature(
                f"the SMTP wire cannot carry {', '.join(features)}: set an API key so the "
                f"message takes the API, or set IGNORE_UNSUPPORTED_FEATURES to drop them"
            )
        log.warning("SMTP: dropping API-only features %s (IGNORE_UNSUPPORTED_FEATURES)",
                    ", ".join(features))
        stripped = copy.copy(email)
        stripped.template_slug = None
        stripped.template_version = None
        stripped.project_id = None
        stripped.substitution_data = {}
        stripped.options = {}
        stripped.send_at = None
        stripped.headers = {
            name: value for name, value in email.headers.items()
            if name.lower() not in API_ONLY_HEADERS
        }
        return stripped

    def _send_prepared(self, prepared: _Prepared) -> SendResult:
        for attempt in (1, 2):
            if self.connection is None:
                try:
                    self.connection = self._connect()
                except LettrError as error:
                    raise _ConnectFailed(error) from error
            try:
                return self._transaction(self.connection, prepared)
            except _Reconnect as dropped:
                self._discard()
                if attempt == 2:
                    raise TransportError(
                        f"the SMTP server {self._where} closed the connection twice "
                        f"before the message was sent: {dropped}"
                    ) from None
                log.info("SMTP: %s closed the session; reconnecting once", self._where)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(self, conn: smtplib.SMTP, prepared: _Prepared) -> SendResult:
        stage = "MAIL"
        reply: bytes | str
        try:
            options: list[str] = []
            if prepared.smtputf8:
                if not conn.has_extn("smtputf8"):
                    raise SmtpUtf8Unsupported(
                        f"an address has a non-ASCII local part and {self._where} does not "
                        f"offer SMTPUTF8; nothing was sent"
                    )
                options.append("SMTPUTF8")
                if conn.has_extn("8bitmime"):
                    options.append("BODY=8BITMIME")
            code, reply = conn.mail(prepared.sender, options)
            if code != 250:
                raise self._refused(code, reply, "MAIL", sender=prepared.sender)
            stage = "RCPT"
            refused: dict[str, tuple[int, bytes]] = {}
            for recipient in prepared.recipients:
                code, reply = conn.rcpt(recipient)
                if code in _RECIPIENT_OK:
                    continue
                refused[recipient] = (code, reply)
                if code == 421:
                    raise self._refused(code, reply, "RCPT")
            if len(refused) == len(prepared.recipients):
                raise self._all_refused(refused)
            stage = "DATA"
            try:
                code, reply = conn.data(prepared.data)
            except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
                code, reply = exc.smtp_code, exc.smtp_error
            if code != 250:
                raise self._refused(code, reply, "DATA")
        except LettrError:
            raise
        except smtplib.SMTPServerDisconnected as exc:
            if stage != "DATA" and not timed_out(exc):
                raise _Reconnect(str(exc)) from exc
            if stage != "DATA":
                self._discard()
                raise self._net_error(exc, f"waiting for the reply to {stage} from") from exc
            self._discard()
            raise TransportError(
                f"the SMTP server {self._where} closed the connection during DATA: the "
                f"message may or may not have been accepted"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._discard()
            raise error_from_reply(exc.smtp_code, exc.smtp_error, stage=stage) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._discard()
            raise self._net_error(exc, f"sending ({stage})") from exc
        finally:
            conn.command_encoding = "ascii"
        rejected = {addr: (c, reply_text(r)) for addr, (c, r) in refused.items()}
        return SendResult(
            request_id=None,
            accepted=len(prepared.recipients) - len(refused),
            rejected=len(refused),
            transport="smtp",
            status=code,
            rejected_recipients=rejected,
            idempotency_key=prepared.idempotency_key,
            message=reply_text(reply),
        )

    def _refused(self, code: int, reply: bytes | str, stage: str, sender: str | None = None
                 ) -> LettrError:
        """Map a refusal and leave the session usable (RSET), or drop it after a 421."""
        if code == 421:
            self._discard()
        else:
            self._reset()
        return error_from_reply(code, reply, stage=stage, sender=sender)

    def _all_refused(self, refused: dict[str, tuple[int, bytes]]) -> LettrError:
        self._reset()
        codes = [code for code, _ in refused.values()]
        first = next(iter(refused.values()))
        if all(400 <= code < 500 for code in codes):
            return error_from_reply(first[0], first[1], stage="RCPT")
        permanent = next((c, r) for c, r in refused.values() if c >= 500)
        return error_from_reply(permanent[0], permanent[1], stage="RCPT", recipients=refused)

    def _reset(self) -> None:
        conn = self.connection
        if conn is None:
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._discard()

    def _discard(self) -> None:
        """Drop the session without QUIT (the server is gone or said 421)."""
        conn, self.connection = self.connection, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    # -- connecting -----------------------------------------------------------------------
    def _net_error(self, exc: BaseException, doing: str) -> TransportError:
        return socket_error(exc, doing, self._where, self.config.smtp_timeout)

    @property
    def _where(self) -> str:
        return f"{self.config.smtp_host}:{self.config.smtp_port}"

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            context = ssl.create_default_context()
            if self.config.smtp_ssl_certfile:
                context.load_cert_chain(
                    self.config.smtp_ssl_certfile, self.config.smtp_ssl_keyfile
                )
            self._tls = context
        return self._tls

    def _credentials(self) -> tuple[str, str] | None:
        """Username and password to log in with, or None to skip AUTH.

        The API key stands in for a missing password only towards Lettr's relay (or a
        loopback dev server): it is never sent to a third-party SMTP host. An empty (not
        unset) username for a server other than Lettr's means it takes mail without AUTH
        (Django's ``EMAIL_HOST_USER = ""``); Lettr's relay always gets a login.
        """
        cfg = self.config
        host = cfg.smtp_host.lower().rstrip(".")
        lettr_host = host == DEFAULT_SMTP_HOST or host.endswith(".lettr.com")
        if cfg.smtp_username == "" and not lettr_host:
            return None  # the application's own server, no user: no AUTH, as Django does
        if cfg.smtp_password:
            return cfg.smtp_user, cfg.smtp_password
        if cfg.api_key and (lettr_host or is_loopback_host(host)):
            return cfg.smtp_username or DEFAULT_SMTP_USERNAME, cfg.api_key
        return None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        security = cfg.smtp_security
        if security == "none" and not is_loopback_host(cfg.smtp_host):
            raise ConfigurationError(
                f"SMTP_SECURITY='none' (plaintext) is only allowed to a loopback host, "
                f"not {cfg.smtp_host!r}",
                setting="SMTP_SECURITY",
            )
        context = None if security == "none" else self._tls_context()
        try:
            conn = self._factory(cfg, context)
        except smtplib.SMTPResponseException as exc:  # the greeting was not 220
            raise error_from_reply(exc.smtp_code, exc.smtp_error, stage="connect") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._net_error(exc, "connecting to") from exc
        try:
            self._secure_and_login(conn, context)
        except BaseException:
            with contextlib.suppress(OSError):
                conn.close()
            raise
        return conn

    def _secure_and_login(self, conn: smtplib.SMTP, context: ssl.SSLContext | None) -> None:
        stage = "EHLO"
        user = self.config.smtp_user
        try:
            conn.ehlo_or_helo_if_needed()
            if self.config.smtp_security == "starttls":
                if not conn.has_extn("starttls"):
                    raise TransportError(
                        f"the SMTP server {self._where} does not offer STARTTLS: refusing to "
                        f"continue in plaintext (SMTP_SECURITY='starttls')"
                    )
                stage = "STARTTLS"
                conn.starttls(context=context)
                conn.ehlo()
            credentials = self._credentials()
            if credentials is None:
                return
            user = credentials[0]
            if not conn.has_extn("auth"):
                error = AuthenticationError(
                    f"the SMTP server {self._where} does not offer AUTH, so user "
                    f"{credentials[0]!r} cannot log in"
                )
                error.smtp_code = None
                raise error
            stage = "AUTH"
            self._login(conn, *credentials)
        except LettrError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:  # e.g. 454: a temporary failure, not bad credentials
                raise error_from_reply(exc.smtp_code, exc.smtp_error, stage=stage) from None
            raise AuthenticationError(
                f"the SMTP server {self._where} refused the login of user "
                f"{user!r}: {reply_text(exc.smtp_error)}",
                smtp_code=exc.smtp_code,
                body=reply_text(exc.smtp_error),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise error_from_reply(exc.smtp_code, exc.smtp_error, stage=stage) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportError(
                f"the SMTP server {self._where} closed the connection during {stage}: {exc}"
            ) from None
        except smtplib.SMTPException as exc:  # e.g. no AUTH mechanism in common
            if stage == "AUTH":
                raise AuthenticationError(
                    f"cannot log in to {self._where} as {user!r}: {exc}"
                ) from None
            raise TransportError(f"SMTP failure at {stage} with {self._where}: {exc}") from None
        except OSError as exc:
            raise self._net_error(exc, f"{stage} with") from exc

    def _login(self, conn: smtplib.SMTP, user: str, password: str) -> None:
        """AUTH with one mechanism only: smtplib's login() would try each mechanism in turn,
        and every failed try counts against Lettr's 5-failures-per-5-minutes auth limit."""
        offered = conn.esmtp_features.get("auth", "").upper().split()
        mechanism = next((m for m in _AUTH_MECHANISMS if m in offered), None)
        if mechanism is None:
            raise AuthenticationError(
                f"the SMTP server {self._where} offers no AUTH mechanism in common "
                f"(offered: {' '.join(offered) or 'none'})"
            )
        conn.user, conn.password = user, password
        authobject = getattr(conn, "auth_" + mechanism.lower().replace("-", "_"))
        conn.auth(mechanism, authobject)

class _ConnectFailed(Exception):
    """Wraps the error of a failed connect so ``send_many`` stops reconnecting per message."""

    def __init__(self, error: LettrError) -> None:
        super().__init__(str(error))
        self.error = error
