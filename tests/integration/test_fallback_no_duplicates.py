"""FALLBACK_TO_SMTP never sends a message twice: when the API may have stored it (the
connection dropped after the request was sent), the error is reported instead of a second
delivery over SMTP; when the API certainly never got it (connection refused), SMTP takes it."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from lettr_core import Email, Mailer
from lettr_core.devserver import DevServer
from lettr_core.errors import LettrError, TransportError
from lettr_core.message import SendResult
from tests.smtp_server import SmtpTestServer

from . import faultrun

pytestmark = pytest.mark.integration

KEY = faultrun.KEY


def email(number: int = 0) -> Email:
    return Email("shop@example.com", to=[faultrun.recipient(number)],
                 subject=faultrun.subject(number), text="x")


def test_a_lost_answer_then_drops_is_reported_not_sent_again_over_smtp(
    devserver_factory: Callable[..., DevServer], smtp_server: SmtpTestServer,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    server = devserver_factory(lost_reply_rate=1.0)

    def api_goes_down(seconds: float) -> None:
        # after the first attempt (stored, answer lost), every retry is dropped
        server.configure(lost_reply_rate=0.0, reset_rate=1.0)

    monkeypatch.setattr("lettr_core.timing.sleep", api_goes_down)
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                api_url=server.api_url, max_retries=2)
    with Mailer(config) as mailer, pytest.raises(TransportError) as caught:
        mailer.send(email())
    assert caught.value.maybe_delivered
    assert len(server.messages()) == 1  # Lettr has it...
    assert smtp_server.received == []  # ...so SMTP must not deliver it a second time
    assert "could deliver the message twice" in caplog.text


def test_the_same_through_send_many(
    devserver_factory: Callable[..., DevServer], smtp_server: SmtpTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = devserver_factory(lost_reply_rate=1.0)
    monkeypatch.setattr("lettr_core.timing.sleep",
                        lambda seconds: server.configure(lost_reply_rate=0.0, reset_rate=1.0))
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                api_url=server.api_url, max_retries=1, max_workers=1)
    with Mailer(config) as mailer:
        [outcome] = mailer.send_many([email()])
    assert isinstance(outcome, TransportError) and outcome.maybe_delivered
    assert len(server.messages()) == 1 and smtp_server.received == []


def test_connection_refused_is_known_undelivered_and_falls_back(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("lettr_core.timing.sleep", lambda seconds: None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                api_url=f"http://127.0.0.1:{port}", max_retries=1)
    with Mailer(config) as mailer:
        result = mailer.send(email())
    assert result.fallback and len(smtp_server.received) == 1
    config = config.replace(fallback_to_smtp=False)
    with Mailer(config) as mailer, pytest.raises(TransportError) as caught:
        mailer.send(email())
    assert not caught.value.maybe_delivered


def test_fault_mix_with_fallback_never_delivers_twice(
    devserver_factory: Callable[..., DevServer], smtp_server: SmtpTestServer,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The fault run's mix, MAX_RETRIES=1 so that many messages fall back: every message ends
    accepted by the API, delivered over SMTP, or reported failed, and none arrives twice
    (across both doors)."""
    faultrun.simulate_waiting(monkeypatch)
    server, _ = faultrun.fault_server(devserver_factory)
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                api_url=server.api_url, max_retries=1)
    outcomes: list[SendResult | LettrError] = []
    with Mailer(config) as mailer:
        for number in range(faultrun.COUNT):
            try:
                outcomes.append(mailer.send(email(number)))
            except LettrError as error:
                outcomes.append(error)
    api_subjects = Counter(m["subject"] for m in server.messages())
    smtp_subjects = Counter(str(r.message["Subject"]) for r in smtp_server.received)
    both = api_subjects + smtp_subjects
    assert all(count == 1 for count in both.values()), [s for s, n in both.items() if n > 1]
    via_api = [o for o in outcomes if isinstance(o, SendResult) and o.transport == "api"]
    via_smtp = [o for o in outcomes if isinstance(o, SendResult) and o.fallback]
    failed = [o for o in outcomes if isinstance(o, LettrError)]
    assert len(via_api) + len(via_smtp) + len(failed) == faultrun.COUNT
    assert len(via_smtp) == len(smtp_subjects) and via_smtp
    assert all(error.maybe_delivered for error in failed)  # only the ambiguous ones stop
    text = (f"[fault mix, MAX_RETRIES=1, FALLBACK_TO_SMTP, core Mailer.send] "
            f"{faultrun.COUNT} messages: {len(via_api)} accepted by the API, {len(via_smtp)} "
            f"delivered over SMTP after the API failed, {len(failed)} reported failed (the API "
            f"may have stored them, so no second delivery), 0 delivered twice; "
            f"{sum(api_subjects.values())} stored by the API, {len(smtp_subjects)} received "
            f"over SMTP.")
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")
