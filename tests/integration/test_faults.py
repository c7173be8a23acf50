"""Fault runs: 300 messages against a dev server that refuses, fails, drops and loses answers.

See :mod:`tests.integration.faultrun` for the mix and the checks. Each run prints its figures
and writes them to ``fault-summary.txt`` in its pytest tmp dir.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lettr_core import Email, LettrConfig, Mailer
from lettr_core.api import ApiTransport
from lettr_core.devserver import DevServer
from lettr_core.errors import LettrError
from lettr_core.message import SendResult

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
