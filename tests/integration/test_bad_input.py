"""The bad-input catalogue: every case names the error it expects, and nothing reaches the wire.

Each case builds and sends one bad message (or builds one bad configuration) through a real
entry point pointed at loopback servers: the dev server's API (its ``requests`` counter and its
store must stay empty) and a TCP listener standing in for an SMTP server (it counts
connections, which must stay 0). The error must be exactly the named class, so a refactoring
that turns a ``HeaderInjection`` into a generic error is caught.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from lettr_core import Attachment, Email, LettrConfig, Mailer
from lettr_core.devserver import DevServer
from lettr_core.errors import (
    ConfigurationError,
    HeaderInjection,
    InvalidAddress,
    LimitExceeded,
    ScheduleError,
    UnsupportedFeature,
    ValidationError,
)

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64
FROM = "Shop <shop@example.com>"
TO = "ann@example.com"


class ConnectionCounter:
    """A loopback TCP listener that counts connections and closes them (a fake SMTP host)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@dataclass
class Wire:
    """The loopback servers a case may reach (and must not)."""

    api: DevServer
    smtp: ConnectionCounter

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Settings pointing both doors at loopback (plaintext SMTP is allowed there)."""
        return {
            "API_KEY": KEY,
            "API_URL": self.api.api_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": self.smtp.port,
            "SMTP_SECURITY": "none",
            "MAX_RETRIES": 0,
            **extra,
        }


@pytest.fixture
def wire(devserver: DevServer) -> Iterator[Wire]:
    counter = ConnectionCounter()
    yield Wire(devserver, counter)
    counter.close()


@dataclass
class Case:
    """One bad input: its id, the exact error class expected, and how to send it."""

    id: str
    error: type[BaseException]
    act: Callable[[Wire], Any]


def _settings(wire: Wire, changes: dict[str, Any]) -> dict[str, Any]:
    """The loopback settings with ``changes`` applied (a None value removes the setting)."""
    given = wire.settings()
    for name, value in changes.items():
        if value is None:
            given.pop(name, None)
        else:
            given[name] = value
    return given


def core_send(settings: dict[str, Any] | None = None, **fields: Any) -> Callable[[Wire], Any]:
    """Build an Email from a valid base plus ``fields`` and send it through a core Mailer."""

    def act(wire: Wire) -> Any:
        base: dict[str, Any] = {"from_email": FROM, "to": [TO], "subject": "Hi", "text": "x"}
        base.update(fields)
        config = LettrConfig.from_mapping(_settings(wire, settings or {}), environ={})
        with Mailer(config) as mailer:
            return mailer.send(Email(**base))

    return act


def core_config(**settings: Any) -> Callable[[Wire], Any]:
    """Build a Mailer with ``settings`` over the loopback ones, and send one good message."""
    return core_send(settings)


class Unrenderable:
    """A lazy string whose rendering fails (a translation with a bad placeholder...)."""

    def __str__(self) -> str:
        raise KeyError("name")


NOW = datetime.now(timezone.utc)
BIG = b"\0" * (5 * 1024 * 1024 * 3 // 4 + 3)  # just over 5 MB once base64-encoded
CRLF_INJECTION = "x\r\nBcc: victim@example.com"

CORE_CASES = [
    # line breaks (header injection)
    Case("subject-crlf", HeaderInjection, core_send(subject="Hi" + CRLF_INJECTION)),
    Case("subject-lf", HeaderInjection, core_send(subject="Hi\nBcc: victim@example.com")),
    Case("subject-cr", HeaderInjection, core_send(subject="Hi\rthere")),
    Case("from-crlf", HeaderInjection, core_send(from_email="shop@example.com\r\nBcc: v@x.com")),
    Case("from-name-crlf", HeaderInjection,
         core_send(from_email=("Shop\r\nBcc: v@example.com", "shop@example.com"))),
    Case("to-crlf", HeaderInjection, core_send(to=["ann@example.com\nBcc: v@example.com"])),
    Case("cc-crlf", HeaderInjection, core_send(cc=["Bob\r\n <bob@example.com>"])),
    Case("bcc-crlf", HeaderInjection, core_send(bcc=["bob@exa\rmple.com"])),
    Case("reply-to-crlf", HeaderInjection, core_send(reply_to=["r@example.com\r\nX: y"])),
    Case("header-value-crlf", HeaderInjection,
         core_send(headers={"X-Order": "1" + CRLF_INJECTION})),
    Case("header-value-lf", HeaderInjection, core_send(headers={"X-Order": "1\nX-Evil: 1"})),
    Case("header-name-colon", HeaderInjection, core_send(headers={"X-Evil: 1\r\nX": "1"})),
    Case("header-name-space", HeaderInjection, core_send(headers={"X Order": "1"})),
    Case("idempotency-key-crlf", HeaderInjection, core_send(idempotency_key="k\r\nX: y")),
    Case("attachment-name-crlf", HeaderInjection,
         core_send(attachments=[("a\r\n.txt", b"x")])),
    # malformed addresses
    Case("to-no-at", InvalidAddress, core_send(to=["ann.example.com"])),
    Case("to-no-domain", InvalidAddress, core_send(to=["ann@"])),
    Case("to-no-local-part", InvalidAddress, core_send(to=["@example.com"])),
    Case("to-space", InvalidAddress, core_send(to=["ann smith@example.com"])),
    Case("to-two-ats", InvalidAddress, core_send(to=["ann@bob@example.com"])),
    Case("to-single-label-domain", InvalidAddress, core_send(to=["ann@example"])),
    Case("to-bad-label", InvalidAddress, core_send(to=["ann@-example-.com"])),
    Case("to-unbalanced-angle", InvalidAddress, core_send(to=["Ann <ann@example.com"])),
    Case("to-double-dot", InvalidAddress, core_send(to=["ann..smith@example.com"])),
    Case("to-empty-string", InvalidAddress, core_send(to=[""])),
    Case("to-not-a-string", InvalidAddress, core_send(to=[42])),
    Case("from-too-long", InvalidAddress, core_send(from_email="a" * 250 + "@example.com")),
    Case("from-name-too-long", InvalidAddress, core_send(from_email=("N" * 256, "s@example.com"))),
    Case("to-one-letter-tld", InvalidAddress, core_send(to=["ann@example.c"])),
    Case("to-localhost-on-the-api", InvalidAddress, core_send(to=["dev@localhost"])),
    Case("to-address-literal-on-the-api", InvalidAddress, core_send(to=["dev@[127.0.0.1]"])),
    # shape of the message
    Case("only-bcc", ValidationError, core_send(to=[], bcc=["b@example.com"])),
    Case("only-cc", ValidationError, core_send(to=[], cc=["c@example.com"])),
    Case("no-body-no-template", ValidationError, core_send(text=None)),
    Case("no-subject-no-template", ValidationError, core_send(subject=None)),
    Case("empty-subject-no-template", ValidationError, core_send(subject="")),
    Case("two-reply-to", ValidationError,
         core_send(reply_to=["r1@example.com", "r2@example.com"])),
    Case("subject-999", LimitExceeded, core_send(subject="s" * 999)),
    Case("cc-bcc-cannot-be-split", LimitExceeded,
         core_send(bcc=[f"b{n}@example.com" for n in range(60)])),
    Case("transport-unknown-per-message", ValidationError, core_send(transport="fax")),
    # headers, tag, options
    Case("eleven-headers", LimitExceeded,
         core_send(headers={f"X-H{n}": "v" for n in range(11)})),
    Case("header-value-999", LimitExceeded, core_send(headers={"X-Long": "v" * 999})),
    Case("tag-65", LimitExceeded, core_send(tag="t" * 65)),
    Case("tag-with-space", ValidationError, core_send(tag="spring sale")),
    Case("option-unknown", ValidationError, core_send(options={"track_everything": True})),
    Case("option-not-bool", ValidationError, core_send(options={"open_tracking": "yes"})),
    # metadata
    Case("metadata-nested", ValidationError, core_send(metadata={"order": {"id": 1}})),
    Case("metadata-list-value", ValidationError, core_send(metadata={"ids": [1, 2]})),
    Case("metadata-none-value", ValidationError, core_send(metadata={"id": None})),
    Case("metadata-non-string-key", ValidationError, core_send(metadata={1: "x"})),
    Case("metadata-not-a-mapping", ValidationError, core_send(metadata=["a", "b"])),
    Case("metadata-51-keys", LimitExceeded,
         core_send(metadata={f"k{n}": "v" for n in range(51)})),
    Case("metadata-key-41", LimitExceeded, core_send(metadata={"k" * 41: "v"})),
    Case("metadata-value-501", LimitExceeded, core_send(metadata={"k": "v" * 501})),
    Case("metadata-header-not-json", ValidationError,
         core_send(headers={"X-Lettr-Metadata": "{not json"})),
    Case("metadata-header-not-ascii", ValidationError,
         core_send(headers={"X-Lettr-Metadata": "¡hola!"})),
    Case("substitution-data-nested", ValidationError,
         core_send(template_slug="welcome", substitution_data={"user": {"name": "Ann"}})),
    # scheduling
    Case("send-at-naive", ScheduleError, core_send(send_at=datetime(2030, 1, 1, 12, 0))),
    Case("send-at-past", ScheduleError, core_send(send_at=NOW - timedelta(hours=1))),
    Case("send-at-in-4-minutes", ScheduleError, core_send(send_at=NOW + timedelta(minutes=4))),
    Case("send-at-beyond-3-days", ScheduleError,
         core_send(send_at=NOW + timedelta(days=3, minutes=5))),
    Case("send-at-a-string", ScheduleError, core_send(send_at="2030-01-01T12:00:00Z")),
    # templates
    Case("template-version-0", ValidationError,
         core_send(template_slug="welcome", template_version=0)),
    Case("template-version-not-int", ValidationError,
         core_send(template_slug="welcome", template_version="latest")),
    Case("project-id-negative", ValidationError,
         core_send(template_slug="welcome", project_id=-1)),
    Case("template-version-header-not-int", ValidationError,
         core_send(headers={"X-Lettr-Template-Slug": "w", "X-Lettr-Template-Version": "v2"})),
    # attachments
    Case("attachment-without-name", ValidationError,
         core_send(attachments=[(None, b"x", "text/plain")])),
    Case("attachment-empty-name", ValidationError,
         core_send(attachments=[("", b"x", "text/plain")])),
    Case("attachment-empty", ValidationError,
         core_send(attachments=[("empty.csv", b"", "text/csv")])),
    Case("attachment-name-256", LimitExceeded,
         core_send(attachments=[("n" * 252 + ".txt", b"x")])),
    Case("attachments-over-5mb-base64", LimitExceeded,
         core_send(attachments=[("big.bin", BIG)])),
    Case("attachments-over-5mb-together", LimitExceeded,
         core_send(attachments=[Attachment("a.bin", BIG[: len(BIG) // 2]),
                                ("b.bin", BIG[: len(BIG) // 2 + 3])])),
    Case("attachment-content-int", ValidationError,
         core_send(attachments=[("a.txt", 42)])),
    Case("attachment-content-none", ValidationError,
         core_send(attachments=[("a.txt", None)])),
    Case("attachment-not-an-attachment", ValidationError,
         core_send(attachments=[{"name": "a.txt"}])),
    # lazy strings that fail to render
    Case("lazy-subject-fails", ValidationError, core_send(subject=Unrenderable())),
    Case("lazy-text-fails", ValidationError, core_send(text=Unrenderable())),
    Case("lazy-html-fails", ValidationError, core_send(html=Unrenderable())),
    Case("lazy-header-fails", ValidationError, core_send(headers={"X-A": Unrenderable()})),
    Case("lazy-display-name-fails", ValidationError,
         core_send(from_email=(Unrenderable(), "shop@example.com"))),
    # API-only features without a key
    Case("template-without-api-key", UnsupportedFeature,
         core_send({"API_KEY": None, "TRANSPORT": "smtp"}, template_slug="welcome")),
    Case("scheduling-without-api-key", UnsupportedFeature,
         core_send({"API_KEY": None, "TRANSPORT": "smtp"},
                   send_at=NOW + timedelta(hours=1))),
    # configuration
    Case("key-without-prefix", ConfigurationError, core_config(API_KEY="sk_" + "0" * 64)),
    Case("transport-unknown", ConfigurationError, core_config(TRANSPORT="carrier-pigeon")),
    Case("api-percent-150", ConfigurationError, core_config(API_PERCENT=150)),
    Case("api-percent-negative", ConfigurationError, core_config(API_PERCENT=-1)),
    Case("plaintext-smtp-to-remote-host", ConfigurationError,
         core_config(SMTP_HOST="smtp.example.com")),
    Case("smtp-security-unknown", ConfigurationError, core_config(SMTP_SECURITY="tls1.0")),
    Case("api-transport-without-key", ConfigurationError,
         core_config(API_KEY=None, TRANSPORT="api")),
    Case("api-url-not-http", ConfigurationError, core_config(API_URL="ftp://127.0.0.1/")),
    Case("unknown-setting", ConfigurationError, core_config(API_KYE=KEY)),
    Case("max-retries-negative", ConfigurationError, core_config(MAX_RETRIES=-1)),
    Case("max-retries-not-a-number", ConfigurationError, core_config(MAX_RETRIES="many")),
    Case("fallback-not-a-bool", ConfigurationError, core_config(FALLBACK_TO_SMTP="maybe")),
    Case("rate-limit-zero", ConfigurationError, core_config(RATE_LIMIT=0)),
]


# -- lettr_flask ------------------------------------------------------------------------------


def flask_send(config: dict[str, Any] | None = None, connection: bool = False,
               **fields: Any) -> Callable[[Wire], Any]:
    """``mail.send`` (or ``connection.send``) of a lettr_flask Message built from a valid base
    plus ``fields``, in an app configured for the loopback servers plus ``config``."""

    def act(wire: Wire) -> Any:
        from flask import Flask

        from lettr_flask import Mail, Message

        app = Flask("bad_input")
        settings: dict[str, Any] = {
            "LETTR_API_KEY": KEY, "LETTR_API_URL": wire.api.api_url, "LETTR_MAX_RETRIES": 0,
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": wire.smtp.port,
            "MAIL_DEFAULT_SENDER": FROM,
        }
        for name, value in (config or {}).items():
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
        app.config.update(settings)
        mail = Mail(app)
        base: dict[str, Any] = {"subject": "Hi", "recipients": [TO], "body": "x"}
        base.update(fields)
        attachments = base.pop("attach", [])
        with app.app_context():
            message = Message(**base)
            for attachment in attachments:
                message.attach(*attachment)
            if connection:
                with mail.connect() as conn:
                    conn.send(message)
            else:
                mail.send(message)
        return message

    return act


def _flask_bad_header() -> type[BaseException]:
    from lettr_flask import BadHeaderError

    return BadHeaderError


FLASK_CASES = [
    # Flask-Mail's own checks keep Flask-Mail's exceptions (code may catch them)
    Case("flask-subject-crlf", _flask_bad_header(), flask_send(subject="Hi" + CRLF_INJECTION)),
    Case("flask-sender-crlf", _flask_bad_header(),
         flask_send(sender="shop@example.com\r\nBcc: v@example.com")),
    Case("flask-recipient-crlf", _flask_bad_header(),
         flask_send(recipients=["ann@example.com\nBcc: v@example.com"])),
    Case("flask-reply-to-crlf", _flask_bad_header(),
         flask_send(reply_to="r@example.com\r\nX: y")),
    Case("flask-no-recipients", AssertionError, flask_send(recipients=[])),
    # the core's named errors for everything else
    Case("flask-header-value-crlf", HeaderInjection,
         flask_send(extra_headers={"X-Order": "1" + CRLF_INJECTION})),
    Case("flask-cc-crlf-name", HeaderInjection,
         flask_send(cc=[("Bob\r\nBcc: v@example.com", "bob@example.com")])),
    Case("flask-malformed-recipient", InvalidAddress, flask_send(recipients=["ann.example.com"])),
    Case("flask-malformed-sender", InvalidAddress, flask_send(sender="shop@")),
    Case("flask-only-bcc", ValidationError, flask_send(recipients=[], bcc=["b@example.com"])),
    Case("flask-eleven-headers", LimitExceeded,
         flask_send(extra_headers={f"X-H{n}": "v" for n in range(11)})),
    Case("flask-header-value-999", LimitExceeded, flask_send(extra_headers={"X-L": "v" * 999})),
    Case("flask-tag-65", LimitExceeded, flask_send(tag="t" * 65)),
    Case("flask-two-tags", ValidationError, flask_send(tags=["a", "b"])),
    Case("flask-metadata-nested", ValidationError, flask_send(metadata={"a": {"b": 1}})),
    Case("flask-metadata-51-keys", LimitExceeded,
         flask_send(metadata={f"k{n}": "v" for n in range(51)})),
    Case("flask-metadata-key-41", LimitExceeded, flask_send(metadata={"k" * 41: "v"})),
    Case("flask-metadata-value-501", LimitExceeded, flask_send(metadata={"k": "v" * 501})),
    Case("flask-send-at-naive", ScheduleError, flask_send(send_at=datetime(2030, 1, 1))),
    Case("flask-send-at-past", ScheduleError, flask_send(send_at=NOW - timedelta(minutes=1))),
    Case("flask-send-at-4-minutes", ScheduleError,
         flask_send(send_at=NOW + timedelta(minutes=4))),
    Case("flask-send-at-4-days", ScheduleError, flask_send(send_at=NOW + timedelta(days=4))),
    Case("flask-template-version-0", ValidationError,
         flask_send(template_id="welcome", template_version=0)),
    Case("flask-attachment-name-256", LimitExceeded,
         flask_send(attach=[("n" * 256, "text/plain", b"x")])),
    Case("flask-attachments-over-5mb", LimitExceeded,
         flask_send(attach=[("big.bin", "application/octet-stream", BIG)])),
    Case("flask-attachment-data-int", ValidationError,
         flask_send(attach=[("a.txt", "text/plain", 42)])),
    Case("flask-unknown-alternative", UnsupportedFeature,
         flask_send(alts={"calendar": "BEGIN:VCALENDAR"})),
    Case("flask-lazy-subject-fails", ValidationError, flask_send(subject=Unrenderable())),
    Case("flask-lazy-body-fails", ValidationError, flask_send(body=Unrenderable())),
    Case("flask-lazy-html-fails", ValidationError, flask_send(html=Unrenderable())),
    Case("flask-lazy-subject-fails-on-connection", ValidationError,
         flask_send(connection=True, subject=Unrenderable())),
    Case("flask-template-over-smtp-per-message", UnsupportedFeature,
         flask_send(template_id="welcome", lettr_transport="smtp")),
    Case("flask-template-without-api-key", UnsupportedFeature,
         flask_send({"LETTR_API_KEY": None}, template_id="welcome")),
    # configuration: refused when Mail(app) reads it
    Case("flask-key-without-prefix", ConfigurationError,
         flask_send({"LETTR_API_KEY": "sk_" + "0" * 64})),
    Case("flask-unknown-transport", ConfigurationError, flask_send({"LETTR_TRANSPORT": "fax"})),
    Case("flask-api-percent-150", ConfigurationError, flask_send({"LETTR_API_PERCENT": 150})),
    Case("flask-plaintext-smtp-remote", ConfigurationError,
         flask_send({"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 25})),
    Case("flask-tls-and-ssl", ConfigurationError,
         flask_send({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True})),
    Case("flask-unknown-lettr-setting", ConfigurationError, flask_send({"LETTR_API_KYE": KEY})),
]


@pytest.mark.parametrize("case", FLASK_CASES, ids=[case.id for case in FLASK_CASES])
def test_flask_refuses_before_the_wire(case: Case, wire: Wire) -> None:
    _check(case, wire)


# -- lettr_django -----------------------------------------------------------------------------


def django_send(settings: dict[str, Any] | None = None, attach: list[Any] | None = None,
                after: dict[str, Any] | None = None, **extras: Any) -> Callable[[Wire], Any]:
    """``EmailBackend.send_messages`` of a Django EmailMessage built from a valid base; keys
    of ``extras`` that are constructor arguments go there, the rest become attributes (the
    django-anymail style extras: ``metadata``, ``tags``, ``send_at``...), as do the keys of
    ``after`` (set once the message is built: Django's constructor renders some values)."""

    def act(wire: Wire) -> Any:
        from django.core.mail import EmailMessage
        from django.test import override_settings

        import tests.django.conftest  # noqa: F401  (configures Django settings on import)
        from lettr_django import EmailBackend

        lettr = _settings(wire, settings or {})
        base: dict[str, Any] = {"subject": "Hi", "body": "x", "from_email": FROM, "to": [TO]}
        attributes = {}
        for name, value in extras.items():
            if name in ("subject", "body", "from_email", "to", "cc", "bcc", "reply_to",
                        "headers"):
                base[name] = value
            else:
                attributes[name] = value
        message = EmailMessage(**base)
        for name, value in {**attributes, **(after or {})}.items():
            setattr(message, name, value)
        for item in attach or []:
            message.attach(*item)
        with override_settings(LETTR=lettr):
            return EmailBackend().send_messages([message])

    return act


def _lazy_failing() -> Any:
    from django.utils.text import format_lazy

    return format_lazy("Hello {name}")  # no name given: KeyError when rendered


def _lazy_gettext_failing() -> Any:
    from django.utils.functional import lazy

    def render() -> str:
        raise ValueError("translation catalogue is broken")

    return lazy(render, str)()


def _improperly_configured() -> type[BaseException]:
    import tests.django.conftest  # noqa: F401
    from lettr_django.settings import LettrImproperlyConfigured

    return LettrImproperlyConfigured


DJANGO_CASES = [
    Case("django-subject-crlf", HeaderInjection, django_send(subject="Hi" + CRLF_INJECTION)),
    Case("django-from-crlf", HeaderInjection,
         django_send(from_email="shop@example.com\r\nBcc: v@example.com")),
    Case("django-to-crlf", HeaderInjection, django_send(to=["ann@example.com\nBcc: v@x.com"])),
    Case("django-reply-to-crlf", HeaderInjection,
         django_send(reply_to=["r@example.com\r\nX: y"])),
    Case("django-header-value-crlf", HeaderInjection,
         django_send(headers={"X-Order": "1" + CRLF_INJECTION})),
    Case("django-malformed-to", InvalidAddress, django_send(to=["ann.example.com"])),
    Case("django-malformed-from", InvalidAddress, django_send(from_email="Shop <shop@>")),
    Case("django-only-bcc", ValidationError, django_send(to=[], bcc=["b@example.com"])),
    Case("django-empty-subject", ValidationError, django_send(subject="")),
    Case("django-eleven-headers", LimitExceeded,
         django_send(headers={f"X-H{n}": "v" for n in range(11)})),
    Case("django-header-value-999", LimitExceeded, django_send(headers={"X-L": "v" * 999})),
    Case("django-tag-65", LimitExceeded, django_send(tags=["t" * 65])),
    Case("django-two-tags", UnsupportedFeature, django_send(tags=["a", "b"])),
    Case("django-metadata-nested", ValidationError, django_send(metadata={"a": {"b": 1}})),
    Case("django-metadata-51-keys", LimitExceeded,
         django_send(metadata={f"k{n}": "v" for n in range(51)})),
    Case("django-metadata-key-41", LimitExceeded, django_send(metadata={"k" * 41: "v"})),
    Case("django-metadata-value-501", LimitExceeded, django_send(metadata={"k": "v" * 501})),
    Case("django-send-at-past", ScheduleError, django_send(send_at=NOW - timedelta(hours=2))),
    Case("django-send-at-4-minutes", ScheduleError,
         django_send(send_at=NOW + timedelta(minutes=4))),
    Case("django-send-at-4-days", ScheduleError, django_send(send_at=NOW + timedelta(days=4))),
    Case("django-send-at-a-string", ValidationError, django_send(send_at="tomorrow")),
    Case("django-template-version-0", ValidationError,
         django_send(template_id="welcome", template_version=0)),
    Case("django-attachment-name-256", LimitExceeded,
         django_send(attach=[("n" * 256, b"x", "text/plain")])),
    Case("django-attachments-over-5mb", LimitExceeded,
         django_send(attach=[("big.bin", BIG, "application/octet-stream")])),
    Case("django-attachment-content-int", ValidationError,
         django_send(attach=[("a.bin", 42, "application/octet-stream")])),
    Case("django-attachment-content-none", ValidationError,  # past Django's own attach() check
         django_send(attachments=[("a.bin", None, "application/octet-stream")])),
    Case("django-lazy-subject-format-lazy", ValidationError, django_send(subject=_lazy_failing())),
    Case("django-lazy-body-fails", ValidationError,
         django_send(after={"body": _lazy_gettext_failing()})),
    Case("django-lazy-from-fails", ValidationError,
         django_send(after={"from_email": _lazy_failing()})),
    Case("django-lazy-header-fails", ValidationError,
         django_send(headers={"X-Note": _lazy_failing()})),
    Case("django-lazy-metadata-fails", ValidationError,
         django_send(metadata={"note": _lazy_failing()})),
    Case("django-lazy-tag-fails", ValidationError, django_send(tags=[_lazy_failing()])),
    Case("django-lazy-attachment-fails", ValidationError,
         django_send(attach=[("a.txt", _lazy_failing(), "text/plain")])),
    Case("django-template-without-api-key", UnsupportedFeature,
         django_send({"API_KEY": None, "TRANSPORT": "smtp"}, template_id="welcome")),
    Case("django-key-without-prefix", _improperly_configured(),
         django_send({"API_KEY": "sk_" + "0" * 64})),
    Case("django-unknown-transport", _improperly_configured(),
         django_send({"TRANSPORT": "carrier-pigeon"})),
    Case("django-api-percent-150", _improperly_configured(), django_send({"API_PERCENT": 150})),
    Case("django-plaintext-smtp-remote", _improperly_configured(),
         django_send({"SMTP_HOST": "smtp.example.com"})),
    Case("django-unknown-setting", _improperly_configured(), django_send({"API_KYE": KEY})),
    Case("django-max-retries-not-a-number", _improperly_configured(),
         django_send({"MAX_RETRIES": "many"})),
]


@pytest.mark.parametrize("case", DJANGO_CASES, ids=[case.id for case in DJANGO_CASES])
def test_django_refuses_before_the_wire(case: Case, wire: Wire) -> None:
    _check(case, wire)


def _check(case: Case, wire: Wire) -> None:
    with pytest.raises(BaseException) as caught:  # the exact class is checked below
        case.act(wire)
    assert type(caught.value) is case.error, (
        f"{case.id}: expected {case.error.__name__}, got {type(caught.value).__name__}: "
        f"{caught.value}"
    )
    assert str(caught.value), f"{case.id}: the error says nothing"
    assert wire.api.stats["requests"] == 0, f"{case.id}: a request reached the API"
    assert wire.api.messages() == [], f"{case.id}: a message was stored"
    assert wire.smtp.connections == 0, f"{case.id}: an SMTP connection was opened"


@pytest.mark.parametrize("case", CORE_CASES, ids=[case.id for case in CORE_CASES])
def test_core_refuses_before_the_wire(case: Case, wire: Wire) -> None:
    _check(case, wire)


def test_the_catalogue_is_large_enough() -> None:
    assert len(CORE_CASES) >= 40
    every = CORE_CASES + FLASK_CASES + DJANGO_CASES
    assert len({case.id for case in every}) == len(every)


def test_a_good_message_does_reach_the_wire(wire: Wire) -> None:
    """The harness can fail: the same path with a good message is counted."""
    result = core_send()(wire)
    assert result.request_id and wire.api.stats["requests"] == 1


# -- the SMTP door: a non-ASCII local part needs SMTPUTF8 ------------------------------------------
# The client learns what the server offers from its EHLO answer, so these cases connect; the
# check is that nothing is sent: no MAIL FROM, nothing received.


@pytest.mark.parametrize("where", ["to", "cc", "from"])
def test_core_non_ascii_local_part_without_smtputf8(
    where: str, smtp_server_factory: Callable[..., Any], trust_smtp_ca: Any
) -> None:
    from lettr_core.errors import SmtpUtf8Unsupported

    server = smtp_server_factory("starttls", smtputf8=False)
    fields: dict[str, Any] = {"from_email": FROM, "to": [TO], "subject": "Hi", "text": "x"}
    if where == "from":
        fields["from_email"] = "jörg@example.com"
    else:
        fields[where] = ["jörg@example.com"]
    with Mailer(server.config()) as mailer, pytest.raises(SmtpUtf8Unsupported) as caught:
        mailer.send(Email(**fields))
    assert type(caught.value) is SmtpUtf8Unsupported
    assert "SMTPUTF8" in str(caught.value)
    assert server.received == []


def test_flask_non_ascii_local_part_without_smtputf8(
    smtp_server_factory: Callable[..., Any], trust_smtp_ca: Any
) -> None:
    from flask import Flask

    from lettr_core.errors import SmtpUtf8Unsupported
    from lettr_flask import Mail, Message

    server = smtp_server_factory("starttls", smtputf8=False)
    app = Flask("smtputf8")
    app.config.update({"MAIL_SERVER": server.host, "MAIL_PORT": server.port,
                       "MAIL_USE_TLS": True, "MAIL_USERNAME": server.user,
                       "MAIL_PASSWORD": server.password, "MAIL_DEFAULT_SENDER": FROM})
    mail = Mail(app)
    with app.app_context(), pytest.raises(SmtpUtf8Unsupported):
        mail.send(Message("Hi", recipients=["jörg@example.com"], body="x"))
    assert server.received == []
