"""Flask-Mail's ``Connection``: a context manager that sends messages through Lettr.

Each connection routes its messages with a core :class:`~lettr_core.Mailer` that shares the
state's pooled API transport (one HTTP session and one rate limiter per app) and owns one
SMTP session, opened on entry when SMTP is the default door (as Flask-Mail connects on entry)
and lazily otherwise. Over SMTP, :attr:`Connection.host` is the live ``smtplib`` connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from flask import current_app

from lettr_core import LettrConfig, LettrError, Mailer, SendResult, SmtpTransport
from lettr_core.addresses import parse_address

from .convert import to_email
from .helpers import sanitize_address, sanitize_addresses
from .message import BadHeaderError, Message, message_has_bad_headers
from .signals import email_dispatched

if TYPE_CHECKING:
    from .state import MailState

logger = logging.getLogger("lettr.flask")


def new_smtp_transport(config: LettrConfig) -> SmtpTransport:
    """A core SMTP transport for ``config`` (not connected yet)."""
    return SmtpTransport(config)


def _warn_smtp_only_options(message: Any) -> None:
    """Say so when Flask-Mail's ESMTP options could not be honoured on the SMTP wire.

    The core SMTP transport chooses its own ``MAIL``/``RCPT`` options (SMTPUTF8, 8BITMIME);
    over the API, Lettr manages the envelope itself, so nothing is lost there.
    """
    ignored = []
    if getattr(message, "mail_options", None):
        ignored.append("mail_options")
    if getattr(message, "rcpt_options", None):
        ignored.append("rcpt_options")
    if ignored:
        logger.warning(
            "lettr_flask: %s not applied over SMTP (the transport sets its own options)",
            ", ".join(ignored),
        )


class Connection:
    """Sends messages for one :class:`~lettr_flask.state.MailState`; use it with ``with``.

    ``send`` checks a message the way Flask-Mail does (recipients, sender, header
    injection), sends it unless sending is suppressed, stores the core
    :class:`~lettr_core.SendResult` on ``message.lettr_result`` and fires
    :data:`~lettr_flask.email_dispatched`. After ``MAIL_MAX_EMAILS`` messages the SMTP
    session, if one is open, is closed and opened again.
    """

    def __init__(self, mail: MailState) -> None:
        self.mail = mail
        self.num_emails: int = 0
        self._smtp: SmtpTransport | None = None
        self._mailer: Mailer | None = None
        self._host_override: Any = None
        #: open the SMTP session on ``with`` (Flask-Mail's behaviour); ``Mail.send`` turns it
        #: off so a message is checked before any I/O
        self.connect_on_enter = True

    # -- Flask-Mail's attributes --------------------------------------------------------------
    @property
    def host(self) -> Any:
        """The live ``smtplib`` connection while an SMTP session is open, else None.

        Assigning an object (as tests written for Flask-Mail do with a mock) makes ``send``
        hand messages to its ``sendmail`` exactly as Flask-Mail does, bypassing Lettr.
        """
        if self._host_override is not None:
            return self._host_override
        return None if self._smtp is None else self._smtp.connection

    @host.setter
    def host(self, value: Any) -> None:
        self._host_override = value

    @host.deleter
    def host(self) -> None:
        self._host_override = None

    def __enter__(self) -> Connection:
        if not self.mail.suppress:
            self._start()
            if self.connect_on_enter and self.mail.lettr_config.transport == "smtp":
                self._open_smtp()
        self.num_emails = 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> Mailer:
        if self._mailer is None:
            config = self.mail.lettr_config
            self._smtp = new_smtp_transport(config)
            self._mailer = Mailer(config, api=self.mail.api_transport, smtp=self._smtp)
        return self._mailer

    def _open_smtp(self) -> Any:
        assert self._smtp is not None
        self._smtp.open()
        host = self._smtp.connection
        if host is not None and self.mail.debug:
            host.set_debuglevel(int(self.mail.debug))  # after login: no credentials echoed
        return host

    def configure_host(self) -> Any:
        """(Re)open the SMTP session and return the live ``smtplib`` connection."""
        self._start()
        assert self._smtp is not None
        self._smtp.close()
        return self._open_smtp()

    def close(self) -> None:
        """Close this connection's SMTP session; the shared API transport stays pooled."""
        smtp, self._smtp, self._mailer = self._smtp, None, None
        if smtp is not None:
            smtp.close()

    # -- sending ------------------------------------------------------------------------------
    def _check(self, message: Any) -> None:
        """Flask-Mail's checks before a send: default sender, recipients, bad headers, date."""
        if not getattr(message, "sender", None) and self.mail.default_sender:
            message.sender = self.mail.default_sender
        assert message.send_to, "No recipients have been added"
        assert message.sender, (
            "The message does not specify a sender and a default sender has not been configured"
        )
        if message_has_bad_headers(message):
            raise BadHeaderError
        if message.date is None:
            message.date = time.time()

    def send(self, message: Any, envelope_from: Any = None) -> None:
        """Check and send ``message`` (ours or a ``flask_mail.Message``).

        ``envelope_from`` is the SMTP ``MAIL FROM`` address; Lettr's API manages the envelope
        sender itself, so there it is not used.
        """
        self._check(message)
        if self._host_override is not None:
            self._sendmail(self._host_override, message, envelope_from)
        elif not self.mail.suppress:
            result = self.deliver(message, envelope_from)
            try:
                message.lettr_result = result
            except AttributeError:  # a message class with __slots__
                logger.debug("could not store lettr_result on %r", type(message))
        email_dispatched.send(self._app(), message=message)
        self.num_emails += 1
        if self.num_emails == self.mail.max_emails:
            self.num_emails = 0
            if self._host_override is None and self.host is not None:
                self.configure_host()

    @staticmethod
    def _sendmail(host: Any, message: Any, envelope_from: Any) -> None:
        """Flask-Mail's own hand-off, used only for a ``host`` the caller assigned."""
        host.sendmail(
            sanitize_address(envelope_from or message.sender),
            list(sanitize_addresses(message.send_to)),
            message.as_bytes(),
            message.mail_options,
            message.rcpt_options,
        )

    def deliver(self, message: Any, envelope_from: Any = None) -> SendResult:
        """Send ``message`` now and return the core result: no Flask-Mail checks, no
        suppression, no signal (``send`` adds those)."""
        email = to_email(message, ascii_attachments=bool(self.mail.ascii_attachments))
        if envelope_from:
            email.envelope_sender = parse_address(envelope_from, "envelope_from")
        mailer = self._start()
        if self.mail.debug and self.host is None and mailer.choose_transport(email) == "smtp":
            self._open_smtp()  # open it here so MAIL_DEBUG shows the dialogue (after AUTH)
        result = mailer.send(email)
        if result.transport == "smtp":
            _warn_smtp_only_options(message)
        return result

    def send_message(self, *args: Any, **kwargs: Any) -> None:
        """Build a :class:`~lettr_flask.Message` from the arguments and send it."""
        self.send(Message(*args, **kwargs))

    def send_many(self, messages: Iterable[Any]) -> int:
        """Send many messages at once (not in Flask-Mail: Lettr's batch path).

        Messages identical but for their one recipient (a newsletter) share API requests of
        up to 50 recipients, and requests run on the core's paced worker pool. Every message
        that can be sent is sent; then the first failure's own error is raised with a
        ``failures`` list of ``(message, error)``. Returns the number sent. Each sent message
        gets ``lettr_result`` and fires ``email_dispatched``, as with :meth:`send`.
        """
        batch = list(messages)
        for message in batch:
            self._check(message)
        app = self._app()
        if self.mail.suppress or self._host_override is not None:
            for message in batch:
                self.send(message)
            return len(batch)
        ascii_names = bool(self.mail.ascii_attachments)
        emails = [to_email(message, ascii_attachments=ascii_names) for message in batch]
        outcomes = self._start().send_many(emails)
        failures: list[tuple[Any, LettrError]] = []
        for message, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, LettrError):
                failures.append((message, outcome))
                continue
            try:
                message.lettr_result = outcome
            except AttributeError:
                logger.debug("could not store lettr_result on %r", type(message))
            email_dispatched.send(app, message=message)
        if failures:
            first = failures[0][1]
            first.failures = failures  # type: ignore[attr-defined]
            raise first
        return len(batch)

    def _app(self) -> Any:
        app = self.mail.app
        if app is not None:
            return app
        return current_app._get_current_object()  # type: ignore[attr-defined]
