"""8 threads sharing one Flask ``Mail`` (and one Django backend): 1,000 messages, 1,000 stored,
0 errors, and every message's ``lettr_result`` is its own (its request id is the one the dev
server stored for that message's subject)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lettr_core.devserver import DevServer

from . import faultrun

pytestmark = pytest.mark.integration

THREADS = 8
MESSAGES = 1000


def run_threads(send: Callable[[int], str]) -> tuple[dict[int, str], list[BaseException]]:
    """Send MESSAGES messages from THREADS threads (message n by thread n % THREADS)."""
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(first: int) -> None:
        start.wait()
        for number in range(first, MESSAGES, THREADS):
            try:
                request_id = send(number)
            except BaseException as error:
                with lock:
                    errors.append(error)
            else:
                with lock:
                    results[number] = request_id

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def check(name: str, server: DevServer, results: dict[int, str], errors: list[BaseException],
          seconds: float, tmp_path: Path) -> None:
    assert errors == []
    assert sorted(results) == list(range(MESSAGES))
    stored = server.messages(door="api")
    assert len(stored) == MESSAGES
    by_subject = {m["subject"]: m for m in stored}
    assert len(by_subject) == MESSAGES
    assert len(set(results.values())) == MESSAGES, "two messages share a request id"
    for number, request_id in results.items():
        message = by_subject[faultrun.subject(number)]
        assert message["request_id"] == request_id, f"message {number} got another's result"
        assert message["to"] == [faultrun.recipient(number)]
    keys = Counter(m["idempotency_key"] for m in stored)
    assert len(keys) == MESSAGES
    text = (f"[{name}: {THREADS} threads, one shared instance] {MESSAGES} messages: "
            f"{len(stored)} stored, {len(errors)} errors, {len(set(results.values()))} distinct "
            f"request ids, each matching its stored message; wall time {seconds:.2f} s.")
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")


def test_flask_mail_shared_by_eight_threads(
    devserver: DevServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flask import Flask

    from lettr_flask import Mail, Message

    faultrun.simulate_waiting(monkeypatch)
    app = Flask("threads")
    app.config.update({"LETTR_API_KEY": faultrun.KEY, "LETTR_API_URL": devserver.api_url,
                       "MAIL_DEFAULT_SENDER": "shop@example.com"})
    mail = Mail(app)

    def send(number: int) -> str:
        message: Any = Message(faultrun.subject(number), recipients=[faultrun.recipient(number)],
                               body=f"Message {number}")
        with app.app_context():
            mail.send(message)
        return str(message.lettr_result.request_id)

    started = time.perf_counter()
    results, errors = run_threads(send)
    check("lettr_flask Mail.send", devserver, results, errors, time.perf_counter() - started,
          tmp_path)


def test_django_backend_shared_by_eight_threads(
    devserver: DevServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from django.core.mail import EmailMessage

    import tests.django.conftest  # noqa: F401  (configures Django settings on import)
    from lettr_django import EmailBackend

    faultrun.simulate_waiting(monkeypatch)
    backend = EmailBackend(api_key=faultrun.KEY, api_url=devserver.api_url)

    def send(number: int) -> str:
        message: Any = EmailMessage(faultrun.subject(number), f"Message {number}",
                                    "shop@example.com", [faultrun.recipient(number)])
        assert backend.send_messages([message]) == 1
        return str(message.lettr_result.request_id)

    started = time.perf_counter()
    with backend:
        results, errors = run_threads(send)
    check("lettr_django EmailBackend.send_messages", devserver, results, errors,
          time.perf_counter() - started, tmp_path)
