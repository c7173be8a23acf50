"""The per-application mail state (Flask-Mail's ``_Mail``) and the methods it shares with
:class:`~lettr_flask.Mail`: ``send``, ``send_message``, ``connect``, ``record_messages``.

One state per app (``app.extensions["mail"]``): Flask-Mail's fields, the core
:class:`~lettr_core.LettrConfig` built from the app's configuration, and the core transports,
created lazily under a lock so threads of one app share one pooled API session and one rate
limiter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lettr_core import ApiTransport, LettrConfig, Mailer

from .config import MailSettings
from .connection import Connection
from .message import Message
from .signals import email_dispatched


class MailMixin:
    """``send``, ``send_message``, ``connect`` and ``record_messages``, as in Flask-Mail."""

    def connect(self) -> Connection:
        """A :class:`~lettr_flask.Connection` (use it with ``with``)."""
        raise NotImplementedError

    @contextmanager
    def record_messages(self) -> Iterator[list[Any]]:
        """Collect every message dispatched while the block runs (for tests)::

            with mail.record_messages() as outbox:
                client.post("/signup", data=...)
                assert outbox[0].subject == "Welcome"
        """
        outbox: list[Any] = []

        def record(app: Any, message: Any, **extra: Any) -> None:
            outbox.append(message)

        with email_dispatched.connected_to(record):
            yield outbox

    def send(self, message: Any) -> None:
        """Send one message (ours or a ``flask_mail.Message``) on a new connection.

        With ``MAIL_SUPPRESS_SEND`` (the default under ``app.testing``) nothing is sent, but
        ``email_dispatched`` still fires.
        """
        connection = self.connect()
        connection.connect_on_enter = False  # check the message before any I/O
        with connection:
            connection.send(message)

    def send_message(self, *args: Any, **kwargs: Any) -> None:
        """Build a :class:`~lettr_flask.Message` from the arguments and send it."""
        self.send(Message(*args, **kwargs))

    def send_many(self, messages: Iterable[Any]) -> int:
        """Send many messages through Lettr's batch path (see ``Connection.send_many``)."""
        connection = self.connect()
        connection.connect_on_enter = False
        with connection:
            return connection.send_many(messages)


class MailState(MailMixin):
    """One app's mail settings and transports (what ``app.extensions["mail"]`` holds).

    Attributes as in Flask-Mail: ``server``, ``username``, ``password``, ``port``,
    ``use_tls``, ``use_ssl``, ``default_sender``, ``debug``, ``max_emails``, ``suppress``,
    ``ascii_attachments``; plus ``lettr_config`` and ``app``.

    The private parts (lock, transports, ``app``) live in slots, so ``state.__dict__`` holds
    only settings and two states read from the same configuration compare equal by
    ``__dict__``, as Flask-Mail's do.
    """

    __slots__ = ("_api", "_lock", "_mailer", "app")

    def __init__(self, settings: MailSettings, lettr_config: LettrConfig, app: Any = None) -> None:
        self.server = settings.server
        self.username = settings.username
        self.password = settings.password
        self.port = settings.port
        self.use_tls = settings.use_tls
        self.use_ssl = settings.use_ssl
        self.default_sender = settings.default_sender
        self.debug = settings.debug
        self.max_emails = settings.max_emails
        self.suppress = settings.suppress
        self.ascii_attachments = settings.ascii_attachments
        self.lettr_config = lettr_config
        self.app = app
        self._lock = threading.Lock()
        self._api: ApiTransport | None = None
        self._mailer: Mailer | None = None

    def __repr__(self) -> str:
        return (
            f"<MailState server={self.server!r} port={self.port!r} "
            f"transport={self.lettr_config.transport!r} suppress={self.suppress!r}>"
        )

    @property
    def api_transport(self) -> ApiTransport | None:
        """The app's shared API transport (None without an API key), created on first use."""
        if self.lettr_config.api_key is None:
            return None
        with self._lock:
            if self._api is None:
                self._api = ApiTransport(self.lettr_config)
            return self._api

    @property
    def mailer(self) -> Mailer:
        """The app's core :class:`~lettr_core.Mailer`, created on first use (thread-safe)."""
        api = self.api_transport
        with self._lock:
            if self._mailer is None:
                self._mailer = Mailer(self.lettr_config, api=api)
            return self._mailer

    def connect(self) -> Connection:
        """A :class:`~lettr_flask.Connection` for this state."""
        return Connection(self)

    def close(self) -> None:
        """Close the shared transports (they reopen on next use)."""
        with self._lock:
            mailer, self._mailer = self._mailer, None
            api, self._api = self._api, None
        if mailer is not None:
            mailer.close()
        if api is not None:
            api.close()


#: Flask-Mail's name for the state class
_Mail = MailState
