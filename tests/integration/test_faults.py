"""Fault runs: 300 messages against a dev server that refuses, fails, drops and loses answers.

Through the core (``Mailer.send``, ``ApiTransport.send_many``), ``lettr_django`` and
``lettr_flask``; then the API down with ``FALLBACK_TO_SMTP``, an SMTP server dropping sessions,
a coalesced newsletter and split messages resent with their keys. See
:mod:`tests.integration.faultrun` for the mix and the checks. Each run prints its figures and
writes them to ``fault-summary.txt`` in its pytest tmp dir (``pytest -s`` shows them live).
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lettr_core import Email, LettrConfig, Mailer
from lettr_core.api import ApiTransport
from lettr_core.devserver import DevServer
from lettr_core.errors import LettrError
from lettr_core.message import SendResult
from tests.smtp_server import SmtpTestServer

from . import faultrun
from .faultrun import COUNT, KEY, Outcome

pytestmark = pytest.mark.integration


def config(server: DevServer) -> LettrConfig:
    return LettrConfig.from_mapping(
        {"API_KEY": KEY, "API_URL": server.api_url, "MAX_RETRIES": 3}, environ={}
    )


def email(number: int) -> Email:
    return Email(
        from_email="Shop <shop@example.com>",
        to=[faultrun.recipient(number)],
        subject=faultrun.subject(number),
        text=f"Message {number}",
    )


def test_core_mailer_send(
    devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sleep = faultrun.simulate_waiting(monkeypatch)
    server, server_sleeps = faultrun.fault_server(devserver_factory)

    def send_all() -> list[Outcome]:
        outcomes = []
        with Mailer(config(server)) as mailer:
            for number in range(COUNT):
                try:
                    result = mailer.send(email(number))
                except LettrError as error:
                    outcomes.append(Outcome(number, error=error))
                else:
                    outcomes.append(Outcome(number, request_id=result.request_id))
        return outcomes

    summary = faultrun.run("core Mailer.send", server, send_all, sleep, tmp_path)
    assert summary.accepted > COUNT * 0.9
    # the client's waits went through the patched lettr_core.timing.sleep (a 429 holds the
    # limiter for Retry-After: 1), the dev server's latency through its own sleep
    assert sleep.calls > 0 and sleep.total >= summary.server["rate_limited"] * 0.5
    assert len(server_sleeps) == summary.server["requests"]


def test_core_send_many_on_eight_workers(
    devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sleep = faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)

    def send_all() -> list[Outcome]:
        with ApiTransport(config(server)) as api:
            results = api.send_many(email(number) for number in range(COUNT))
        outcomes = []
        for number, result in enumerate(results):
            if isinstance(result, SendResult):
                outcomes.append(Outcome(number, request_id=result.request_id))
            else:
                outcomes.append(Outcome(number, error=result))
        return outcomes

    summary = faultrun.run("core ApiTransport.send_many, 8 workers", server, send_all, sleep,
                           tmp_path)
    assert summary.accepted > COUNT * 0.9


def closed_port() -> int:
    """A loopback port nobody listens on (connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def received_subjects(server: SmtpTestServer) -> Counter[str]:
    return Counter(str(item.message["Subject"]) for item in server.received)


def _fallback_core(server: SmtpTestServer, api_url: str, batch: bool) -> list[SendResult]:
    config = server.config(api_key=KEY, transport="api", fallback_to_smtp=True, max_retries=3,
                           api_url=api_url)
    with Mailer(config) as mailer:
        if batch:
            outcomes = mailer.send_many([email(n) for n in range(COUNT)])
        else:
            outcomes = [mailer.send(email(n)) for n in range(COUNT)]
    assert all(isinstance(o, SendResult) for o in outcomes), [
        o for o in outcomes if not isinstance(o, SendResult)][:3]
    return [o for o in outcomes if isinstance(o, SendResult)]


def _fallback_django(server: SmtpTestServer, api_url: str, batch: bool) -> list[SendResult]:
    django_ready()
    from django.test import override_settings

    from lettr_django import EmailBackend

    lettr = {"API_KEY": KEY, "API_URL": api_url, "FALLBACK_TO_SMTP": True, "MAX_RETRIES": 3,
             "SMTP_HOST": server.host, "SMTP_PORT": server.port, "SMTP_USERNAME": server.user,
             "SMTP_PASSWORD": server.password, "SMTP_TIMEOUT": 10}
    messages = [django_message(n) for n in range(COUNT)]
    with override_settings(LETTR=lettr):
        if batch:
            assert EmailBackend().send_messages(messages) == COUNT
        else:
            assert all(message.send() == 1 for message in messages)
    return [message.lettr_result for message in messages]


def _fallback_flask(server: SmtpTestServer, api_url: str, batch: bool) -> list[SendResult]:
    from flask import Flask

    from lettr_flask import Mail

    app = Flask("fallback")
    app.config.update({
        "LETTR_API_KEY": KEY, "LETTR_API_URL": api_url, "LETTR_FALLBACK_TO_SMTP": True,
        "LETTR_MAX_RETRIES": 3, "MAIL_SERVER": server.host, "MAIL_PORT": server.port,
        "MAIL_USE_TLS": True, "MAIL_USERNAME": server.user, "MAIL_PASSWORD": server.password,
        "MAIL_DEFAULT_SENDER": "shop@example.com",
    })
    mail = Mail(app)
    messages = [flask_message(n) for n in range(COUNT)]
    with app.app_context():
        if batch:
            with mail.connect() as connection:
                for message in messages:
                    connection.send(message)
        else:
            for message in messages:
                mail.send(message)
    return [message.lettr_result for message in messages]


@pytest.mark.parametrize(
    ("entry", "send", "batch"),
    [
        ("core Mailer.send", _fallback_core, False),
        ("core Mailer.send_many", _fallback_core, True),
        ("lettr_django EmailMessage.send", _fallback_django, False),
        ("lettr_django send_messages(300)", _fallback_django, True),
        ("lettr_flask mail.send", _fallback_flask, False),
        ("lettr_flask connection.send", _fallback_flask, True),
    ],
    ids=["core-send", "core-send_many", "django-send", "django-send_messages", "flask-mail.send",
         "flask-connection.send"],
)
def test_api_down_falls_back_to_smtp_for_every_message(
    entry: str, send: Callable[[SmtpTestServer, str, bool], list[SendResult]], batch: bool,
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    sleep = faultrun.simulate_waiting(monkeypatch)
    started = time.perf_counter()
    results = send(smtp_server, f"http://127.0.0.1:{closed_port()}/api", batch)
    seconds = time.perf_counter() - started
    assert len(results) == COUNT
    assert all(r.transport == "smtp" and r.fallback and r.accepted == 1 for r in results)
    subjects = received_subjects(smtp_server)
    assert subjects == Counter(faultrun.subject(n) for n in range(COUNT))
    assert sleep.calls > 0  # the API door backed off (simulated) before falling back
    text = (
        f"[API down (connection refused), FALLBACK_TO_SMTP, {entry}] {COUNT} messages: "
        f"{len(results)} delivered over SMTP with fallback=True, 0 failed, "
        f"0 lost, {sum(n - 1 for n in subjects.values())} duplicates; "
        f"{smtp_server.connections} SMTP connection(s); {sleep.calls} client waits (backoff "
        f"and pacing) simulated; wall time {seconds:.2f} s."
    )
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")


def test_smtp_server_dropping_sessions_loses_nothing(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    """The server closes the session after every 7th message, and also drops every open
    connection after every 50 messages (an idle timeout): the transport reconnects."""
    smtp_server.script.messages_per_connection = 7
    config = smtp_server.config(max_retries=3)
    started = time.perf_counter()
    errors: list[LettrError] = []
    with Mailer(config) as mailer:
        for number in range(COUNT):
            if number and number % 50 == 0:
                smtp_server.drop_connections()
            try:
                result = mailer.send(email(number))
            except LettrError as error:
                errors.append(error)
            else:
                assert (result.transport, result.accepted) == ("smtp", 1)
    seconds = time.perf_counter() - started
    assert errors == []
    subjects = received_subjects(smtp_server)
    assert subjects == Counter(faultrun.subject(n) for n in range(COUNT))
    assert smtp_server.connections >= COUNT // 7
    text = (
        f"[SMTP server closing the session every 7 messages and dropping all connections every "
        f"50, Mailer.send over STARTTLS] {COUNT} messages: {len(subjects)} received, "
        f"{len(errors)} errors, {sum(n - 1 for n in subjects.values())} duplicates; "
        f"{smtp_server.connections} SMTP sessions opened; wall time {seconds:.2f} s."
    )
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")


# -- lettr_flask --------------------------------------------------------------------------------


def flask_app(server: DevServer, **config: object) -> Any:
    from flask import Flask

    app = Flask("faults")
    app.config.update({
        "LETTR_API_KEY": KEY, "LETTR_API_URL": server.api_url, "LETTR_MAX_RETRIES": 3,
        "MAIL_DEFAULT_SENDER": ("Shop", "shop@example.com"), **config,
    })
    return app


def flask_message(number: int) -> Any:
    from lettr_flask import Message

    return Message(faultrun.subject(number), recipients=[faultrun.recipient(number)],
                   body=f"Message {number}")


@pytest.mark.parametrize("entry", ["mail.send", "connection.send", "mail.send_many(300)"])
def test_flask(
    entry: str, devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from lettr_flask import Mail

    sleep = faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)
    app = flask_app(server)
    mail = Mail(app)

    def send_all() -> list[Outcome]:
        if entry == "mail.send_many(300)":
            return send_many()
        outcomes = []
        with app.app_context():
            connection = mail.connect()
            with connection:
                for number in range(COUNT):
                    message = flask_message(number)
                    try:
                        if entry == "mail.send":
                            mail.send(message)
                        else:
                            connection.send(message)
                    except LettrError as error:
                        assert getattr(message, "lettr_result", None) is None
                        outcomes.append(Outcome(number, error=error))
                    else:
                        outcomes.append(Outcome(number, request_id=message.lettr_result.request_id))
        return outcomes

    def send_many() -> list[Outcome]:
        messages = [flask_message(number) for number in range(COUNT)]
        failed: dict[int, BaseException] = {}
        with app.app_context():
            try:
                assert mail.send_many(messages) == COUNT
            except LettrError as error:  # the first failure, with every one attached
                failed = {id(m): e for m, e in error.failures}  # type: ignore[attr-defined]
        return [
            Outcome(n, error=failed[id(m)]) if id(m) in failed
            else Outcome(n, request_id=m.lettr_result.request_id)
            for n, m in enumerate(messages)
        ]

    summary = faultrun.run(f"lettr_flask {entry}", server, send_all, sleep, tmp_path)
    assert summary.accepted > COUNT * 0.9


# -- lettr_django --------------------------------------------------------------------------------


def django_ready() -> None:
    """Configure Django as the adapter's tests do (settings.configure once per process)."""
    import tests.django.conftest  # noqa: F401  (configures settings on import)


def django_message(number: int) -> Any:
    from django.core.mail import EmailMessage

    return EmailMessage(faultrun.subject(number), f"Message {number}", "Shop <shop@example.com>",
                        [faultrun.recipient(number)])


def django_outcome(number: int, message: Any) -> Outcome:
    error = getattr(message, "lettr_error", None)
    if error is not None:
        assert message.lettr_result is None or message.lettr_result.request_id
        return Outcome(number, error=error)
    return Outcome(number, request_id=message.lettr_result.request_id)


@pytest.mark.parametrize("entry", ["EmailMessage.send", "send_messages(300)"])
def test_django(
    entry: str, devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    django_ready()
    from django.test import override_settings

    from lettr_django import EmailBackend

    sleep = faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)
    lettr = {"API_KEY": KEY, "API_URL": server.api_url, "MAX_RETRIES": 3}

    def send_all() -> list[Outcome]:
        messages = [django_message(number) for number in range(COUNT)]
        raised: list[BaseException] = []
        with override_settings(LETTR=lettr):
            if entry == "EmailMessage.send":
                for message in messages:
                    try:
                        assert message.send() == 1
                    except LettrError as error:
                        assert error is message.lettr_error
                        raised.append(error)
            else:
                try:
                    EmailBackend().send_messages(messages)
                except LettrError as error:  # the first failure, with every one attached
                    raised.extend(e for _, e in error.failures)  # type: ignore[attr-defined]
        outcomes = [django_outcome(n, m) for n, m in enumerate(messages)]
        assert [o.error for o in outcomes if o.error is not None] == raised
        return outcomes

    summary = faultrun.run(f"lettr_django {entry}", server, send_all, sleep, tmp_path)
    assert summary.accepted > COUNT * 0.9


def test_newsletter_coalesced_under_faults(
    devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """300 copies of one message to single recipients: coalesced into requests of 50 (each with
    its own Idempotency-Key), under the same fault mix. Every recipient is stored once or its
    message reported failed; none twice."""
    sleep = faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)
    news = [Email("news@example.com", to=[faultrun.recipient(n)], subject="Spring news",
                  text="Same for everyone") for n in range(COUNT)]
    started = time.perf_counter()
    with Mailer(config(server)) as mailer:
        outcomes = mailer.send_many(news)
    seconds = time.perf_counter() - started
    stored = server.messages()
    delivered = Counter(addr for message in stored for addr in message["to"])
    assert all(count == 1 for count in delivered.values())
    assert len(Counter(m["idempotency_key"] for m in stored)) == len(stored)
    accepted = [n for n, o in enumerate(outcomes) if isinstance(o, SendResult)]
    failed = [n for n, o in enumerate(outcomes) if isinstance(o, LettrError)]
    assert len(accepted) + len(failed) == COUNT
    assert all(faultrun.recipient(n) in delivered for n in accepted)
    lost = [n for n in failed if faultrun.recipient(n) in delivered
            and not outcomes[n].maybe_delivered]  # type: ignore[union-attr]
    assert lost == []
    text = (f"[newsletter: 300 identical messages coalesced by Mailer.send_many] "
            f"{len(stored)} requests stored, {len(accepted)} messages accepted, {len(failed)} "
            f"reported failed, {sum(n - 1 for n in delivered.values())} recipients stored twice; "
            f"server: {server.stats['requests']} requests, {server.stats['rate_limited']} x 429, "
            f"{server.stats['failed']} x 5xx, {server.stats['reset']} dropped, "
            f"{server.stats['lost_reply']} answers lost; {sleep.calls} client waits simulated; "
            f"wall time {seconds:.2f} s.")
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")


def test_split_messages_under_faults_then_resent_with_their_keys(
    devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """60 messages of 120 recipients each (3 requests apiece, keys k, k-1, k-2) under the
    fault mix. A message that failed part-way says what was sent (``partial_result``);
    sending the failed ones again with their own ``idempotency_key`` once the faults stop
    completes them, and no recipient of any message is stored twice."""
    sleep = faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)
    server.configure(lost_reply_rate=0.1, reset_rate=0.1)  # more ambiguity than the mix

    def big(number: int) -> Email:
        return Email("shop@example.com", to=[f"r{i}.{number}@example.com" for i in range(120)],
                     subject=faultrun.subject(number), text="x",
                     idempotency_key=f"order-{number}")

    with Mailer(config(server).replace(max_retries=1)) as mailer:
        first = mailer.send_many([big(n) for n in range(60)])
        failed = [n for n, o in enumerate(first) if isinstance(o, LettrError)]
        partial = [n for n in failed if first[n].partial_result is not None]  # type: ignore[union-attr]
        server.configure(throttle_rate=0.0, fail_rate=0.0, reset_rate=0.0, lost_reply_rate=0.0)
        again = mailer.send_many([big(n) for n in failed])
    assert failed, "the mix should break some of the 180 requests"
    assert all(isinstance(o, SendResult) for o in again)
    stored = server.messages()
    delivered = Counter((m["subject"], addr) for m in stored for addr in m["to"])
    assert all(count == 1 for count in delivered.values())
    assert len(delivered) == 60 * 120
    text = (f"[60 messages x 120 recipients (3 requests each), fault mix, MAX_RETRIES=1] "
            f"{60 - len(failed)} accepted, {len(failed)} failed ({len(partial)} part-way, with "
            f"partial_result); resent with their idempotency keys: all {len(failed)} accepted; "
            f"{len(stored)} requests stored, 7200 recipients each stored exactly once; "
            f"{server.stats['idempotent_replays']} idempotent replays; {sleep.calls} client "
            f"waits simulated.")
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")
