"""The senders: each one is the code an application would write with that library.

Every sender runs in its own process (see :mod:`benchmarks.worker`). ``setup`` imports and
configures the library (outside the clock); ``send`` builds the library's message objects from
plain data and sends them all (on the clock), returning how many the library reported sent and
the errors it raised to the application. A library that is missing raises :class:`Unavailable`.

Errors are handled as an application with that library's default behaviour would: Django
backends run with ``fail_silently=True`` (one failure does not stop the batch), Flask-Mail and
the SDK loop catch the exception per message and go on. Nobody retries on the application's
behalf: what the library drops is lost.
"""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .scenarios import SENDER, SENDER_ADDRESS

#: an obviously fake key (the stub accepts any)
FAKE_KEY = "lttr_" + "0" * 64


class Unavailable(Exception):
    """The sender cannot run here; the message says why (shown as ``n/a (...)``)."""


@dataclass
class Outcome:
    """What the library told the application."""

    reported_sent: int = 0
    errors: int = 0
    first_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fail(self, exc: BaseException, count: int = 1) -> None:
        self.errors += count
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {str(exc)[:160]}"


@dataclass
class Endpoints:
    """Where the targets listen."""

    api_base: str  # http://127.0.0.1:PORT
    smtp_port: int | None

    @property
    def lettr_url(self) -> str:
        return self.api_base + "/api"

    @property
    def sparkpost_url(self) -> str:
        return self.api_base + "/api/v1/"


@dataclass(frozen=True)
class SenderInfo:
    """How the harness treats a sender."""

    name: str
    wire: str  # "smtp", "lettr" or "sparkpost"
    ours: bool
    #: False when the library sends one request after another (no pool): in the latency-bound
    #: scenarios such a sender is capped to ``--sequential-cap`` messages
    concurrent: bool = False


SENDERS: dict[str, SenderInfo] = {
    info.name: info
    for info in (
        SenderInfo("django-smtp", "smtp", ours=False),
        SenderInfo("flask-mail", "smtp", ours=False),
        SenderInfo("django-anymail", "sparkpost", ours=False),
        SenderInfo("lettr-sdk", "lettr", ours=False),
        SenderInfo("lettr_django", "lettr", ours=True, concurrent=True),
        SenderInfo("lettr_flask", "lettr", ours=True, concurrent=True),
        SenderInfo("lettr_core", "lettr", ours=True, concurrent=True),
    )
}


def _need(module: str, pip_name: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise Unavailable(f"not installed: pip install {pip_name}")


# -- Django ---------------------------------------------------------------------------------
def _django_setup(backend: str, ends: Endpoints, **extra: Any) -> None:
    _need("django", "Django")
    import django
    from django.conf import settings

    settings.configure(
        EMAIL_BACKEND=backend,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=ends.smtp_port or 25,
        EMAIL_USE_TLS=False,
        DEFAULT_FROM_EMAIL=SENDER,
        USE_TZ=True,
        **extra,
    )
    django.setup()


def _django_messages(items: list[dict[str, Any]]) -> list[Any]:
    from django.core.mail import EmailMultiAlternatives

    messages = []
    for item in items:
        msg = EmailMultiAlternatives(item["subject"], item["text"], SENDER, [item["to"]])
        msg.attach_alternative(item["html"], "text/html")
        for name, content, mimetype in item["files"]:
            msg.attach(name, content, mimetype)
        messages.append(msg)
    return messages


def _django_send(items: list[dict[str, Any]]) -> Outcome:
    from django.core.mail import get_connection

    outcome = Outcome()
    messages = _django_messages(items)
    try:
        with get_connection(fail_silently=True) as connection:
            sent = connection.send_messages(messages) or 0
    except Exception as exc:  # a backend that raises despite fail_silently
        outcome.fail(exc, len(messages))
        return outcome
    outcome.reported_sent = int(sent)
    if sent < len(messages):
        outcome.errors += len(messages) - int(sent)
        outcome.first_error = outcome.first_error or "send_messages reported fewer sent"
    return outcome


def setup_django_smtp(ends: Endpoints) -> None:
    _need("aiosmtpd", "aiosmtpd")
    _django_setup("django.core.mail.backends.smtp.EmailBackend", ends)


def setup_django_anymail(ends: Endpoints) -> None:
    _need("anymail", "django-anymail[sparkpost]")
    _django_setup(
        "anymail.backends.sparkpost.EmailBackend", ends,
        ANYMAIL={"SPARKPOST_API_KEY": "sparkpost-fake-key",
                 "SPARKPOST_API_URL": ends.sparkpost_url},
    )


def setup_lettr_django(ends: Endpoints) -> None:
    _need("lettr_django", "-e .")
    import lettr_django

    if not hasattr(lettr_django, "EmailBackend"):
        raise Unavailable("not built yet")
    _django_setup("lettr_django.EmailBackend", ends,
                  LETTR={"API_KEY": FAKE_KEY, "API_URL": ends.lettr_url})


# -- Flask ----------------------------------------------------------------------------------
_flask: dict[str, Any] = {}


def _flask_setup(module: str, config: dict[str, Any]) -> None:
    _need("flask", "Flask")
    mod = __import__(module)
    if not hasattr(mod, "Mail") or not hasattr(mod, "Message"):
        raise Unavailable("not built yet")
    from flask import Flask

    app = Flask("bench")
    app.config.update(config)
    _flask.update(app=app, mail=mod.Mail(app), Message=mod.Message)


def _flask_messages(items: list[dict[str, Any]]) -> list[Any]:
    message_cls = _flask["Message"]
    messages = []
    for item in items:
        msg = message_cls(item["subject"], recipients=[item["to"]], body=item["text"],
                          html=item["html"], sender=SENDER)
        for name, content, mimetype in item["files"]:
            msg.attach(name, mimetype, content)
        messages.append(msg)
    return messages


def _flask_send(items: list[dict[str, Any]]) -> Outcome:
    """Flask-Mail's bulk idiom: one connection, ``conn.send`` per message.

    lettr_flask also has ``mail.send_many`` (Flask-Mail has no batch call); when it exists
    the batch goes through it, as a Django batch goes through ``send_messages``.
    """
    app, mail = _flask["app"], _flask["mail"]
    outcome = Outcome()
    with app.app_context():
        messages = _flask_messages(items)
        # not hasattr: Flask-Mail's Mail answers any unknown attribute with None
        if callable(getattr(mail, "send_many", None)):
            try:
                outcome.reported_sent = int(mail.send_many(messages) or 0)
            except Exception as exc:
                failures = getattr(exc, "failures", None)
                count = len(failures) if failures is not None else len(messages)
                outcome.fail(exc, count)
                outcome.reported_sent = len(messages) - count
            return outcome
        with mail.connect() as conn:
            for msg in messages:
                try:
                    conn.send(msg)
                    outcome.reported_sent += 1
                except Exception as exc:
                    outcome.fail(exc)
    return outcome


def setup_flask_mail(ends: Endpoints) -> None:
    _need("flask_mail", "flask-mail")
    _need("aiosmtpd", "aiosmtpd")
    _flask_setup("flask_mail", {
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": ends.smtp_port, "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False, "MAIL_DEFAULT_SENDER": SENDER,
    })


def setup_lettr_flask(ends: Endpoints) -> None:
    _need("lettr_flask", "-e .")
    _flask_setup("lettr_flask", {
        "LETTR_API_KEY": FAKE_KEY, "LETTR_API_URL": ends.lettr_url,
        "MAIL_DEFAULT_SENDER": SENDER,
    })


# -- Lettr's SDK ----------------------------------------------------------------------------
_sdk: dict[str, Any] = {}


def setup_lettr_sdk(ends: Endpoints) -> None:
    _need("lettr", "lettr==1.7.0")
    import lettr

    _sdk.update(lettr=lettr, client=lettr.Lettr(FAKE_KEY, base_url=ends.lettr_url))


def send_lettr_sdk(items: list[dict[str, Any]]) -> Outcome:
    lettr, client = _sdk["lettr"], _sdk["client"]
    outcome = Outcome()
    for item in items:
        attachments = [
            lettr.Attachment(name=name, type=mimetype,
                             data=base64.b64encode(content).decode("ascii"))
            for name, content, mimetype in item["files"]
        ] or None
        try:
            client.emails.send(
                from_email=SENDER_ADDRESS, from_name="Bench Shop", to=[item["to"]],
                subject=item["subject"], text=item["text"], html=item["html"],
                attachments=attachments,
            )
            outcome.reported_sent += 1
        except lettr.LettrError as exc:
            outcome.fail(exc)
    client.close()
    return outcome


# -- lettr_core directly ----------------------------------------------------------------------
_core: dict[str, Any] = {}


def setup_lettr_core(ends: Endpoints) -> None:
    import lettr_core

    if not hasattr(lettr_core.Mailer, "send_many") or not hasattr(lettr_core.ApiTransport,
                                                                    "send"):
        raise Unavailable("not built yet")
    config = lettr_core.LettrConfig.from_mapping({"API_KEY": FAKE_KEY, "API_URL": ends.lettr_url})
    _core.update(core=lettr_core, config=config)


def send_lettr_core(items: list[dict[str, Any]]) -> Outcome:
    core = _core["core"]
    outcome = Outcome()
    emails = [
        core.Email(
            from_email=SENDER, to=[item["to"]], subject=item["subject"], text=item["text"],
            html=item["html"],
            attachments=[core.Attachment(name, content, mimetype)
                         for name, content, mimetype in item["files"]],
        )
        for item in items
    ]
    try:
        with core.Mailer(_core["config"]) as mailer:
            results = mailer.send_many(emails)
    except Exception as exc:
        outcome.fail(exc, len(emails))
        return outcome
    for result in results or ():
        if isinstance(result, BaseException):
            outcome.fail(result)
        elif getattr(result, "accepted", 0):
            outcome.reported_sent += 1
        else:
            outcome.errors += 1
    return outcome


SETUP: dict[str, Callable[[Endpoints], None]] = {
    "django-smtp": setup_django_smtp,
    "flask-mail": setup_flask_mail,
    "django-anymail": setup_django_anymail,
    "lettr-sdk": setup_lettr_sdk,
    "lettr_django": setup_lettr_django,
    "lettr_flask": setup_lettr_flask,
    "lettr_core": setup_lettr_core,
}

SEND: dict[str, Callable[[list[dict[str, Any]]], Outcome]] = {
    "django-smtp": _django_send,
    "flask-mail": _flask_send,
    "django-anymail": _django_send,
    "lettr-sdk": send_lettr_sdk,
    "lettr_django": _django_send,
    "lettr_flask": _flask_send,
    "lettr_core": send_lettr_core,
}
