"""FALLBACK_TO_SMTP with the real doors: ApiTransport (503 via `responses`, or a closed
loopback port) falling back to SmtpTransport talking to a real aiosmtpd server over TLS."""

from __future__ import annotations

import logging
import socket

import pytest
import responses

from lettr_core import ApiTransport, Email, LettrConfig, Mailer, SendResult
from lettr_core.errors import ServerError
from tests.core.conftest import FakeClock
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 60 + "beef"


def _mailer(config: LettrConfig) -> tuple[Mailer, FakeClock]:
    clock = FakeClock()
    api = ApiTransport(config, sleep=clock.sleep, clock=clock)
    return Mailer(config, api=api), clock


def _email(to: str = "ann@example.com") -> Email:
    return Email("Shop <shop@example.com>", to=[to], subject="Receipt", text="Thanks")


def test_a_503_after_retries_falls_back_to_smtp(
    smtp_server: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                max_retries=2)
    mailer, clock = _mailer(config)
    with responses.RequestsMock() as api, caplog.at_level(logging.WARNING, logger="lettr"):
        api.post("https://app.lettr.com/api/emails", status=503,
                 json={"message": "Service unavailable"})
        with mailer:
            result = mailer.send(_email())
        assert len(api.calls) == 3  # the API door's own retries came first
    assert (result.transport, result.fallback, result.request_id) == ("smtp", True, None)
    assert clock.sleeps  # the backoff waited on the injected clock, not in real time
    [received] = smtp_server.received
    assert received.rcpt_tos == ["ann@example.com"]
    warnings = [r for r in caplog.records if r.name == "lettr" and r.levelno == logging.WARNING]
    assert any("through SMTP" in r.getMessage() for r in warnings)
    assert KEY not in caplog.text


def test_an_unreachable_api_falls_back_to_smtp(smtp_server: SmtpTestServer) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                api_url=f"http://127.0.0.1:{port}/api", max_retries=1)
    mailer, _ = _mailer(config)
    with mailer:
        result = mailer.send(_email())
    assert (result.transport, result.fallback) == ("smtp", True)
    assert len(smtp_server.received) == 1


def test_without_fallback_the_api_error_is_raised(smtp_server: SmtpTestServer) -> None:
    config = smtp_server.config(api_key=KEY, transport="api", max_retries=0)
    mailer, _ = _mailer(config)
    with responses.RequestsMock() as api:
        api.post("https://app.lettr.com/api/emails", status=503, json={"message": "down"})
        with mailer, pytest.raises(ServerError) as caught:
            mailer.send(_email())
    assert caught.value.status == 503
    assert smtp_server.received == []


def test_send_many_falls_back_on_one_smtp_session(smtp_server: SmtpTestServer) -> None:
    config = smtp_server.config(api_key=KEY, transport="api", fallback_to_smtp=True,
                                max_retries=0)
    mailer, _ = _mailer(config)
    messages = [_email(f"reader{i}@example.com") for i in range(3)]
    with responses.RequestsMock() as api:
        api.post("https://app.lettr.com/api/emails", status=502, json={"message": "bad gw"})
        with mailer:
            outcomes = mailer.send_many(messages)
        assert len(api.calls) == 1  # the three were coalesced into one API request
    assert all(isinstance(o, SendResult) and o.fallback for o in outcomes)
    assert smtp_server.connections == 1
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "reader0@example.com", "reader1@example.com", "reader2@example.com"]


def test_the_share_splits_one_batch_between_real_doors(smtp_server: SmtpTestServer) -> None:
    config = smtp_server.config(api_key=KEY, transport="api", api_percent=50)
    mailer, _ = _mailer(config)
    messages = [_email(f"person{i}@example.com") for i in range(20)]
    doors = [mailer.choose_transport(m) for m in messages]
    assert 0 < doors.count("api") < 20
    with responses.RequestsMock() as api:
        api.post("https://app.lettr.com/api/emails", status=200, json={
            "message": "queued",
            "data": {"request_id": "r-1", "accepted": doors.count("api"), "rejected": 0}})
        with mailer:
            outcomes = mailer.send_many(messages)
    assert [o.transport for o in outcomes if isinstance(o, SendResult)] == doors
    assert len(smtp_server.received) == doors.count("smtp")
