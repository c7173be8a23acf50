"""Fault injection over real sockets: rate limit, 5xx, dropped connections, lost replies."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64
BODY = {"from": "s@example.com", "to": ["r@example.com"], "subject": "Hi", "text": "x"}


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1_800_000_000.25) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def send(server: DevServer, **headers: str) -> requests.Response:
    return requests.post(server.api_url + "/emails", json=BODY,
                         headers={"Authorization": f"Bearer {KEY}", **headers}, timeout=10)


def test_rate_limit_refuses_with_429_and_headers(devserver_factory: Any) -> None:
    clock = FakeClock()
    server = devserver_factory(rate_limit=2, clock=clock)
    first, second, third = send(server), send(server), send(server)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert third.json() == {"message": third.json()["message"],
                            "error_code": "rate_limit_exceeded"}
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["X-RateLimit-Reset"] == "1800000001"
    assert third.headers["Retry-After"] == "1"
    assert len(server.messages()) == 2
    assert server.stats["rate_limited"] == 1
    clock.now += 1.0  # the next window
    fourth = send(server)
    assert fourth.status_code == 200
    assert "Retry-After" not in fourth.headers


def test_forced_retry_after(devserver_factory: Any) -> None:
    server = devserver_factory(rate_limit=1, retry_after=7, clock=FakeClock())
    send(server)
    refused = send(server)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "7"


def test_no_rate_limit_by_default(devserver_factory: Any) -> None:
    server = devserver_factory(clock=FakeClock())
    assert all(send(server).status_code == 200 for _ in range(10))
    assert int(send(server).headers["X-RateLimit-Limit"]) >= 100


def test_fail_rate_one_answers_5xx_and_stores_nothing(devserver_factory: Any) -> None:
    server = devserver_factory(fail_rate=1.0, fail_status=502)
    response = send(server)
    assert response.status_code == 502
    assert response.json()["error_code"] == "transmission_failed"
    assert response.json()["message"]
    assert "X-RateLimit-Limit" in response.headers
    assert server.messages() == []
    assert server.stats["failed"] == 1


def test_failed_answers_are_not_replayed_by_idempotency(devserver_factory: Any) -> None:
    server = devserver_factory(fail_rate=1.0)
    assert send(server, **{"Idempotency-Key": "k"}).status_code == 500
    server.configure(fail_rate=0.0)
    assert send(server, **{"Idempotency-Key": "k"}).status_code == 200
    assert len(server.messages()) == 1


def test_reset_drops_the_connection_and_stores_nothing(devserver_factory: Any) -> None:
    server = devserver_factory(reset_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        send(server)
    assert server.messages() == []
    assert server.stats["reset"] == 1


def test_lost_reply_stores_then_drops(devserver_factory: Any) -> None:
    server = devserver_factory(lost_reply_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        send(server, **{"Idempotency-Key": "retry-me"})
    [stored] = server.messages()
    assert stored["idempotency_key"] == "retry-me"
    assert server.stats["lost_reply"] == 1
    # the retry with the same key gets the answer that was lost, and nothing new is stored
    server.configure(lost_reply_rate=0.0)
    retry = send(server, **{"Idempotency-Key": "retry-me"})
    assert retry.status_code == 200
    assert retry.json()["data"]["request_id"] == stored["request_id"]
    assert len(server.messages()) == 1


def _outcomes(server: DevServer, count: int) -> list[str]:
    outcomes = []
    for _ in range(count):
        try:
            outcomes.append(str(send(server).status_code))
        except requests.exceptions.ConnectionError:
            outcomes.append("dropped")
    return outcomes


def test_seed_makes_faults_reproducible(devserver_factory: Any) -> None:
    knobs = {"fail_rate": 0.3, "reset_rate": 0.2, "lost_reply_rate": 0.2, "seed": 1234}
    first = _outcomes(devserver_factory(**knobs), 25)
    second = _outcomes(devserver_factory(**knobs), 25)
    assert first == second
    assert {"200", "500", "dropped"} <= set(first)
    other = _outcomes(devserver_factory(**{**knobs, "seed": 99}), 25)
    assert other != first


def test_stats_endpoint_counts_faults(devserver_factory: Any) -> None:
    server = devserver_factory(fail_rate=1.0)
    send(server)
    stats = requests.get(server.api_url + "/_dev/stats", timeout=10).json()
    assert stats["failed"] == 1 and stats["requests"] == 1 and stats["stored"] == 0


def test_latency_goes_through_the_injected_sleep(devserver_factory: Any) -> None:
    slept: list[float] = []
    server = devserver_factory(latency_ms=250, sleep=slept.append)
    assert send(server).status_code == 200
    assert slept == [0.25]


def test_knobs_can_change_over_http(devserver_factory: Any) -> None:
    server = devserver_factory()
    response = requests.post(server.api_url + "/_dev/config", json={"fail_rate": 1.0},
                             timeout=10)
    assert response.status_code == 200 and response.json()["fail_rate"] == 1.0
    assert send(server).status_code == 500
    bad = requests.post(server.api_url + "/_dev/config", json={"fail_rate": 2}, timeout=10)
    assert bad.status_code == 422


def test_bad_knobs_are_refused() -> None:
    with pytest.raises(ValueError):
        DevServer(fail_rate=1.5)
    with pytest.raises(ValueError):
        DevServer(rate_limit=0)
    with pytest.raises(ValueError):
        DevServer(api_key="sk_test_123")


def test_a_non_loopback_host_warns_loudly() -> None:
    # constructed only, never started: tests listen on 127.0.0.1 alone
    with pytest.warns(RuntimeWarning, match="not on loopback"):
        DevServer(host="0.0.0.0")


def test_drops_also_cut_a_kept_alive_connection(devserver_factory: Any) -> None:
    server = devserver_factory()
    headers = {"Authorization": f"Bearer {KEY}"}
    with requests.Session() as session:
        assert session.post(server.api_url + "/emails", json=BODY, headers=headers,
                            timeout=10).status_code == 200
        server.configure(lost_reply_rate=1.0)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.post(server.api_url + "/emails", json=BODY, headers=headers, timeout=10)
        server.configure(lost_reply_rate=0.0)
        assert session.get(server.api_url + "/health", timeout=10).status_code == 200
    assert len(server.messages()) == 2
