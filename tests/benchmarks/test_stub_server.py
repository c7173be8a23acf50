"""The benchmark stub: its rate windows (with injected times) and its answers over a socket."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from benchmarks.stub_server import RateWindow
from benchmarks.targets import Targets


def test_fixed_window_admits_limit_per_unix_second() -> None:
    window = RateWindow(3, "fixed")
    answers = [window.admit(100.0 + i * 0.1) for i in range(5)]
    assert [a[0] for a in answers] == [True, True, True, False, False]
    assert [a[2] for a in answers[:3]] == [2, 1, 0]
    assert answers[0][3] == 101  # X-RateLimit-Reset: the next unix second
    assert window.admit(101.0)[0] is True  # a new second, a new window


def test_sliding_window_counts_the_trailing_second() -> None:
    window = RateWindow(2, "sliding")
    assert window.admit(10.0)[0] and window.admit(10.6)[0]
    assert window.admit(10.9)[0] is False  # 10.0 and 10.6 are within the last second
    assert window.admit(11.05)[0] is True  # 10.0 has left the window
    assert window.admit(11.5)[0] is False  # 10.6 and 11.05 remain


def test_unlimited_window_always_admits() -> None:
    window = RateWindow(None)
    assert all(window.admit(5.0)[0] for _ in range(1000))


@pytest.fixture(scope="module")
def targets() -> Iterator[Targets]:
    with Targets(smtp=False) as running:
        yield running


def _post(targets: Targets, path: str, body: object) -> tuple[int, dict[str, str], dict]:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", targets.http_port, timeout=10)
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


LETTR_BODY = {"from": "a@example.com", "to": ["b@example.com", "c@example.com"],
              "subject": "s", "text": "t"}


@pytest.mark.integration
def test_lettr_envelope_headers_and_counters(targets: Targets) -> None:
    targets.configure()
    status, headers, body = _post(targets, "/api/emails", LETTR_BODY)
    assert status == 200
    assert body["data"]["accepted"] == 2 and body["data"]["rejected"] == 0
    assert body["data"]["request_id"].isdigit()
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)
    status, _, body = _post(targets, "/api/emails/scheduled", LETTR_BODY)
    assert status == 201
    stats = targets.stats()
    assert stats["requests"] == 2 and stats["recipients"] == 4


@pytest.mark.integration
def test_sparkpost_shape_and_invalid_bodies(targets: Targets) -> None:
    targets.configure()
    status, _, body = _post(targets, "/api/v1/transmissions/",
                            {"recipients": [{"address": {"email": "b@example.com"}}]})
    assert status == 200 and body["results"]["total_accepted_recipients"] == 1
    status, _, body = _post(targets, "/api/emails", {"from": "a@example.com", "to": []})
    assert status == 422
    assert targets.stats()["invalid"] == 1


@pytest.mark.integration
def test_rate_limit_answers_429_with_retry_after(targets: Targets) -> None:
    # a limit of 1 per window: of three back-to-back requests at most two fall in different
    # seconds, so at least one is refused whatever the timing
    targets.configure(rate_limit=1)
    statuses = []
    for _ in range(3):
        status, headers, body = _post(targets, "/api/emails", LETTR_BODY)
        statuses.append(status)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
            assert body["error_code"] == "rate_limit_exceeded"
    stats = targets.stats()
    assert statuses.count(429) == stats["rate_limited"] >= 1
    assert stats["recipients"] == 2 * statuses.count(200)
