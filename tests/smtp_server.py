"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, TLS from trustme, AUTH required.

Reusable by every test package (core, Django, Flask): ``tests/conftest.py`` imports the
fixtures below, so any test can ask for them.

Fixtures
--------
``smtp_ca``              session-wide :class:`trustme.CA` plus its PEM path (``smtp_ca.pem``)
``trust_smtp_ca``        points ``SSL_CERT_FILE`` at that CA (what the default context reads)
``smtp_server_factory``  ``factory(tls="starttls"|"ssl"|"none", **options) -> SmtpTestServer``;
                         servers are stopped at teardown
``smtp_server``          a running STARTTLS server (CA trusted)
``smtps_server``         a running implicit-TLS server (CA trusted)

A server records what it got (``received``: envelopes and bytes, ``logins``,
``connections``) and can be scripted (``script``): refuse chosen recipients (550), answer
MAIL with 421, answer DATA with a code, drop the connection, close after N messages.
``server.config(**overrides)`` gives a :class:`lettr_core.LettrConfig` pointing at it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from lettr_core import LettrConfig

#: an obviously fake Lettr key; the test servers accept it as the SMTP password
TEST_KEY = "lttr_" + "0" * 64
SMTP_USER = "lettr"
#: pseudo-reply: close the connection instead of answering
DROP = "drop"
#: pseudo-reply: never answer (the client's timeout fires; the server stops it at teardown)
STALL = "stall"


@dataclass
class Received:
    """One message the server accepted: the envelope and the raw bytes."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The bytes parsed with the modern policy (RFC 2047 words decoded)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Script:
    """How the server answers; change it between sends. Replies are full lines ("550 ...")."""

    #: answer to AUTH instead of checking the credentials (e.g. "454 4.7.0 Try later")
    auth_reply: str | None = None
    #: answer to every MAIL FROM (None: 250 OK; DROP: close the connection; STALL: never)
    mail_reply: str | None = None
    #: recipient address (lower case) -> answer to its RCPT TO
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    #: answer after the message data (None: 250)
    data_reply: str | None = None
    #: close the connection after this many accepted messages on it
    messages_per_connection: int | None = None


class _Protocol(SMTP):
    """aiosmtpd's SMTP, registering live connections so a test can drop them."""

    owner: SmtpTestServer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again with the TLS transport
        super().connection_made(transport)
        if first:
            self.owner._live.add(self)
            self.messages_here = 0
            self.counted = False  # counted at its first EHLO (the start-up probe sends none)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._live.discard(self)
        super().connection_lost(exc)


class _Controller(Controller):
    """A Controller listening on a socket bound beforehand (port 0: no port races)."""

    def __init__(self, owner: SmtpTestServer, sock: socket.socket, **kwargs: Any) -> None:
        self._owner = owner
        self._sock = sock
        super().__init__(owner, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # implicit TLS: aiosmtpd cannot tell the session is encrypted and warns about AUTH
            warnings.simplefilter("ignore")
            protocol = _Protocol(self.handler, **self.SMTP_kwargs)
        protocol.owner = self._owner
        return protocol

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock,
                                       ssl=self.ssl_context)


class SmtpTestServer:
    """An aiosmtpd server on 127.0.0.1 with STARTTLS, implicit TLS or plaintext."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls: str = "starttls",
        ca: trustme.CA | None = None,
        user: str = SMTP_USER,
        password: str = TEST_KEY,
        auth: bool = True,
        smtputf8: bool = True,
        offer_starttls: bool = True,
    ) -> None:
        if tls not in ("starttls", "ssl", "none"):
            raise ValueError(tls)
        self.tls = tls
        self.user = user
        self.password = password
        self.script = Script()
        self.received: list[Received] = []
        #: (username, accepted) per AUTH attempt; passwords are never recorded
        self.logins: list[tuple[str, bool]] = []
        self.connections = 0
        self._live: set[_Protocol] = set()
        self._lock = threading.Lock()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(32)
        self.port: int = sock.getsockname()[1]
        kwargs: dict[str, Any] = {
            "enable_SMTPUTF8": smtputf8,
            "server_hostname": "lettr-test.localhost",
            "ready_timeout": 10.0,
        }
        if auth:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=tls == "starttls",
            )
        if tls != "none":
            assert ca is not None, "a TLS server needs the trustme CA"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            if tls == "ssl":
                kwargs["ssl_context"] = context
            elif offer_starttls:
                kwargs.update(tls_context=context, require_starttls=True)
        self._controller = _Controller(self, sock, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> SmtpTestServer:
        """Start the server thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server and close every connection."""
        self._controller.stop()

    def drop_connections(self) -> None:
        """Close every open client connection now, as an idle-timeout would."""

        async def close_all() -> None:
            for protocol in list(self._live):
                if protocol.transport is not None:
                    protocol.transport.close()

        future = asyncio.run_coroutine_threadsafe(close_all(), self._controller.loop)
        future.result(timeout=10)

    def config(self, **overrides: Any) -> LettrConfig:
        """A LettrConfig for this server (SMTP transport, its credentials, short timeout)."""
        values: dict[str, Any] = {
            "transport": "smtp",
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.tls,
            "smtp_username": self.user,
            "smtp_password": self.password,
            "smtp_timeout": 10.0,
            "smtp_local_hostname": "client.localhost",
        }
        values.update(overrides)
        return LettrConfig(**values)

    # -- aiosmtpd hooks -------------------------------------------------------------------
    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode("utf-8", "replace")
        ok = user == self.user and auth_data.password.decode("utf-8", "replace") == self.password
        if self.script.auth_reply is not None:
            ok = False
        with self._lock:
            self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False, message=self.script.auth_reply)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        if isinstance(server, _Protocol) and not server.counted:
            server.counted = True
            with self._lock:
                self.connections += 1
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        reply = self.script.mail_reply
        if reply == STALL:
            await asyncio.sleep(3600)
        if reply is not None:
            return _answer(server, reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.script.rcpt_replies.get(address.lower())
        if reply is not None:
            return _answer(server, reply)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.script.data_reply
        if reply is not None:
            return _answer(server, reply)
        content = envelope.original_content or b""
        with self._lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                         list(envelope.mail_options), content)
            )
        assert isinstance(server, _Protocol)
        server.messages_here += 1
        limit = self.script.messages_per_connection
        if limit is not None and server.messages_here >= limit:
            _close_soon(server)
        return "250 Message accepted"


def _close_soon(server: SMTP) -> None:
    """Close after the pending reply is written (the reply is pushed before this runs)."""
    transport = server.transport
    if transport is not None:
        asyncio.get_running_loop().call_soon(transport.close)


def _answer(server: SMTP, reply: str) -> str:
    if reply == DROP:
        if server.transport is not None:
            server.transport.close()
        return "421 closing"  # written to a closed transport: the client sees only EOF
    if reply.startswith("421"):
        _close_soon(server)
    return reply


# -- fixtures ---------------------------------------------------------------------------------
@dataclass
class SmtpCA:
    """A trustme CA and the path of its certificate in PEM form."""

    ca: trustme.CA
    pem: Path


@pytest.fixture(scope="session")
def smtp_ca(tmp_path_factory: pytest.TempPathFactory) -> SmtpCA:
    """A CA made at test time; servers' certificates are issued by it."""
    ca = trustme.CA()
    pem = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return SmtpCA(ca, pem)


@pytest.fixture
def trust_smtp_ca(smtp_ca: SmtpCA, monkeypatch: pytest.MonkeyPatch) -> SmtpCA:
    """Make ``ssl.create_default_context()`` trust the test CA (via ``SSL_CERT_FILE``)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_ca.pem))
    return smtp_ca


@pytest.fixture
def smtp_server_factory(smtp_ca: SmtpCA) -> Iterator[Callable[..., SmtpTestServer]]:
    """``factory(tls=..., **options)`` starts a server; all are stopped at teardown."""
    servers: list[SmtpTestServer] = []

    def factory(tls: str = "starttls", **options: Any) -> SmtpTestServer:
        server = SmtpTestServer(tls=tls, ca=smtp_ca.ca, **options).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(
    smtp_server_factory: Callable[..., SmtpTestServer], trust_smtp_ca: SmtpCA
) -> SmtpTestServer:
    """A running STARTTLS server with AUTH required (user ``lettr``, TEST_KEY); CA trusted."""
    return smtp_server_factory("starttls")


@pytest.fixture
def smtps_server(
    smtp_server_factory: Callable[..., SmtpTestServer], trust_smtp_ca: SmtpCA
) -> SmtpTestServer:
    """A running implicit-TLS server with AUTH required; CA trusted."""
    return smtp_server_factory("ssl")
