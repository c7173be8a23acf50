"""Shared harness of the fault runs: the dev server's fault mix, the checks and the summary.

A fault run sends ``COUNT`` distinct messages (subject ``fault run #<n>``) through one entry
point against a dev server that injects, as shares of *all* API requests, 5% 429 (``Retry-After:
1``), 10% 5xx, 5% connections dropped before the answer and 2% answers lost after the message was
stored. The dev server draws its faults one after the other (429, then 5xx, then drop, then lost
reply), so each knob is set to the conditional rate that gives those shares overall.

Every message must end either accepted (its request id is the one the server stored) or
reported failed with a named error; the server must hold no message twice (by subject or by
``Idempotency-Key``). Waiting is simulated: ``lettr_core.timing.sleep`` is replaced, so the
client's retry and rate-limit waits are summed instead of slept.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import lettr_core.timing
from lettr_core.devserver import DevServer
from lettr_core.errors import LettrError

COUNT = 300
SEED = 20261203
#: shares of all API requests
SHARES = {"429": 0.05, "5xx": 0.10, "dropped": 0.05, "lost reply": 0.02}
KEY = "lttr_" + "0" * 64

_throttle = SHARES["429"]
_fail = SHARES["5xx"] / (1 - _throttle)
_past_fail = 1 - _throttle - SHARES["5xx"]
_reset = SHARES["dropped"] / _past_fail
_lost = SHARES["lost reply"] / (_past_fail - SHARES["dropped"])

#: DevServer arguments for the mix (conditional rates; see the module docstring)
FAULT_KNOBS: dict[str, Any] = {
    "throttle_rate": _throttle,
    "retry_after": 1,
    "fail_rate": _fail,
    "reset_rate": _reset,
    "lost_reply_rate": _lost,
    "seed": SEED,
}


def subject(number: int) -> str:
    """The subject of message ``number`` (unique per run)."""
    return f"fault run #{number}"


def recipient(number: int) -> str:
    """The recipient of message ``number`` (unique per run)."""
    return f"user{number}@example.com"


class SimulatedSleep:
    """Replaces ``lettr_core.timing.sleep``: sums the waits instead of sleeping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls += 1
            self.total += max(seconds, 0.0)


def simulate_waiting(monkeypatch: pytest.MonkeyPatch) -> SimulatedSleep:
    """Patch lettr_core's waiting for this test; return the recorder."""
    fake = SimulatedSleep()
    monkeypatch.setattr(lettr_core.timing, "sleep", fake)
    return fake


def fault_server(factory: Callable[..., DevServer]) -> tuple[DevServer, list[float]]:
    """A dedicated dev server with the fault mix; its own (recorded, instant) latency sleep.

    The server gets ``latency_ms=1`` through a recorder of its own, so the run can show that
    the dev server's waiting is not the patched ``lettr_core.timing.sleep``.
    """
    server_sleeps: list[float] = []
    server = factory(latency_ms=1, sleep=server_sleeps.append, **FAULT_KNOBS)
    return server, server_sleeps


@dataclass
class Outcome:
    """What the entry point reported for one message."""

    number: int
    request_id: str | None = None
    error: BaseException | None = None


@dataclass
class Summary:
    """The figures of one run."""

    name: str
    sent: int = 0
    accepted: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    failed_but_stored: int = 0
    stored: int = 0
    duplicates: int = 0
    server: dict[str, int] = field(default_factory=dict)
    simulated_waits: int = 0
    seconds: float = 0.0

    def text(self) -> str:
        """One paragraph for a person (and the README)."""
        failed = sum(self.failed.values())
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.failed.items())) or "none"
        s = self.server
        return (
            f"[{self.name}] {self.sent} messages: {self.accepted} accepted, {failed} reported "
            f"failed ({kinds}; {self.failed_but_stored} of them stored after all, its answer lost "
            f"and every retry refused, flagged maybe_delivered), 0 silently lost; "
            f"{self.stored} stored, {self.duplicates} stored twice. "
            f"Server: {s.get('requests', 0)} requests, "
            f"{s.get('rate_limited', 0)} x 429, {s.get('failed', 0)} x 5xx, "
            f"{s.get('reset', 0)} dropped, {s.get('lost_reply', 0)} answers lost, "
            f"{s.get('idempotent_replays', 0)} idempotent replays. {self.simulated_waits} client "
            f"waits simulated, not slept; wall time {self.seconds:.2f} s."
        )


def check_and_summarise(
    name: str,
    server: DevServer,
    outcomes: list[Outcome],
    sleep: SimulatedSleep,
    seconds: float,
    tmp_path: Path,
) -> Summary:
    """Assert nothing lost or duplicated; print and write the summary; return it."""
    assert sorted(o.number for o in outcomes) == list(range(COUNT)), "a message has no outcome"
    stored = server.messages(door="api")
    by_subject = Counter(m["subject"] for m in stored)
    by_key = Counter(m["idempotency_key"] for m in stored)
    duplicates = sum(n - 1 for n in by_subject.values() if n > 1)
    assert duplicates == 0, f"stored twice: {[s for s, n in by_subject.items() if n > 1]}"
    assert all(n == 1 for n in by_key.values()), "an idempotency key was stored twice"
    assert None not in by_key, "a request went out without an Idempotency-Key"
    stored_ids = {m["subject"]: m["request_id"] for m in stored}
    summary = Summary(name, sent=len(outcomes), stored=len(stored), duplicates=duplicates)
    for outcome in outcomes:
        title = subject(outcome.number)
        if outcome.error is None:
            assert outcome.request_id, f"{title}: neither a request id nor an error"
            assert stored_ids.get(title) == outcome.request_id, f"{title}: not the stored id"
            summary.accepted += 1
        else:
            error = outcome.error
            assert isinstance(error, LettrError), f"{title}: unnamed error {error!r}"
            assert error.retryable, f"{title}: a fault became a non-retryable {error!r}"
            assert str(error), f"{title}: error without a message"
            kind = type(error).__name__
            summary.failed[kind] = summary.failed.get(kind, 0) + 1
            if title in stored_ids:
                # stored, answer lost, every retry refused: the error must say it may be sent
                assert getattr(error, "maybe_delivered", False), f"{title}: stored, not flagged"
                summary.failed_but_stored += 1
    # every stored message belongs to one of ours
    assert set(stored_ids) <= {subject(n) for n in range(COUNT)}
    summary.server = server.stats
    summary.simulated_waits = sleep.calls
    summary.seconds = seconds
    text = summary.text()
    print("\n" + text)
    (tmp_path / "fault-summary.txt").write_text(text + "\n", encoding="utf-8")
    (tmp_path / "fault-summary.json").write_text(
        json.dumps(summary.__dict__, indent=2, default=str), encoding="utf-8"
    )
    return summary


def run(
    name: str,
    server: DevServer,
    send_all: Callable[[], list[Outcome]],
    sleep: SimulatedSleep,
    tmp_path: Path,
) -> Summary:
    """Time ``send_all`` (which sends every message) and check its outcomes."""
    started = time.perf_counter()
    outcomes = send_all()
    seconds = time.perf_counter() - started
    summary = check_and_summarise(name, server, outcomes, sleep, seconds, tmp_path)
    # the faults really happened, in roughly the asked proportions
    stats = summary.server
    assert stats["rate_limited"] > 0 and stats["failed"] > 0
    assert stats["reset"] > 0 and stats["lost_reply"] > 0
    assert stats["idempotent_replays"] >= 1
    return summary
