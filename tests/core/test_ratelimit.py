"""The client-side pacer: spacing, learning the limit, holding on Remaining=0 and 429."""

from __future__ import annotations

import json
import threading

import requests
import responses

from lettr_core import Email, LettrConfig
from lettr_core.api import ApiTransport
from lettr_core.ratelimit import RateLimiter
from tests.core.conftest import API, FakeClock, ok


def limiter(clock: FakeClock, rate: float = 3.0, ceiling: float | None = None) -> RateLimiter:
    return RateLimiter(rate, ceiling=ceiling, clock=clock, wall_clock=clock.wall,
                       sleep=clock.sleep)


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_spaces_requests_under_the_rate() -> None:
    clock = FakeClock()
    pacer = limiter(clock)
    starts = []
    for _ in range(30):
        pacer.acquire()
        starts.append(clock.now)
    assert max_in_any_window(starts) == 3
    assert starts[-1] - starts[0] < 10.5  # 29 gaps of ~0.343 s: paced, not stalled


def test_learns_the_reported_limit_and_respects_a_ceiling() -> None:
    clock = FakeClock()
    pacer = limiter(clock)
    pacer.update({"X-RateLimit-Limit": "50"})
    assert 48 < pacer.rate <= 50
    capped = limiter(clock, ceiling=10)
    capped.update({"X-RateLimit-Limit": "50"})
    assert 9 < capped.rate <= 10


def test_remaining_zero_holds_until_reset() -> None:
    clock = FakeClock()
    pacer = limiter(clock, rate=100)
    pacer.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(clock.wall() + 4)})
    waited = pacer.acquire()
    assert 3.9 <= waited <= 4.1


def test_hold_applies_to_every_thread() -> None:
    clock = FakeClock()
    pacer = limiter(clock, rate=1000)
    pacer.hold(2.0)
    start = clock.now
    released: list[float] = []

    def worker() -> None:
        pacer.acquire()
        released.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(released) == 4 and all(t >= start + 2.0 - 1e-6 for t in released)


def test_a_burst_of_200_completes_without_a_single_429() -> None:
    """A server allowing 3 requests per second window: the pacer never trips it."""
    clock = FakeClock()
    seen: list[float] = []
    refused = 0

    def server(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        nonlocal refused
        now = clock.now
        window = [t for t in seen if now - 1.0 < t <= now]
        if len(window) >= 3:
            refused += 1
            return 429, {"Retry-After": "1"}, json.dumps(
                {"message": "slow down", "error_code": "rate_limit_exceeded"})
        seen.append(now)
        return 200, {"X-RateLimit-Limit": "3"}, json.dumps(ok(str(len(seen))))

    config = LettrConfig.from_mapping({"API_KEY": "lttr_" + "0" * 64, "MAX_WORKERS": 1},
                                      environ={})
    api = ApiTransport(config, sleep=clock.sleep, clock=clock, wall_clock=clock.wall)
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, f"{API}/emails", callback=server)
        outcomes = api.send_many(
            Email("app@example.com", to=f"u{i}@example.com", subject=f"n{i}", text="x")
            for i in range(200)
        )
    assert refused == 0
    assert all(o.accepted == 1 for o in outcomes)  # type: ignore[union-attr]
    assert len(seen) == 200


def test_a_limit_learnt_while_callers_wait_applies_to_them_at_once() -> None:
    """Callers queued at the default 3/s must not keep their slow slots once 50/s is known."""
    clock = FakeClock()
    pacer = limiter(clock)
    pacer.acquire()  # the first request leaves at once
    start = clock.now
    pacer.update({"X-RateLimit-Limit": "50"})  # its answer reports the real limit
    for _ in range(10):
        pacer.acquire()
    assert clock.now - start < 0.3  # 10 more at ~50/s, not 10 x 0.34 s


def test_an_instant_replacement_sleep_does_not_spin_on_the_real_clock() -> None:
    import time

    slept: list[float] = []
    pacer = RateLimiter(3.0, sleep=slept.append)  # real monotonic clock, no real waiting
    pacer.hold(30.0)
    began = time.monotonic()
    pacer.acquire()
    assert sum(slept) >= 29.9 and time.monotonic() - began < 5


def test_an_instant_sleep_with_the_real_clock_stays_linear() -> None:
    """Tests replace lettr_core.timing.sleep but not the clock: the simulated time runs ahead
    of the real one, and each caller must not re-sleep everybody else's simulated waits."""
    import time

    from lettr_core.ratelimit import RateLimiter

    calls: list[float] = []
    limiter = RateLimiter(3.0, clock=time.monotonic, sleep=calls.append)
    for _ in range(300):
        limiter.acquire()
    # each acquire waits one interval (~0.34 s) in steps of at most 50 ms: ~7 calls each
    assert len(calls) <= 300 * 10
    assert sum(calls) >= 299 * (1.03 / 3.0) * 0.99


def test_once_the_limit_is_known_a_caller_sleeps_once_per_turn() -> None:
    clock = FakeClock()
    pacer = limiter(clock)
    pacer.update({"X-RateLimit-Limit": "3"})
    pacer.acquire()
    before = len(clock.sleeps)
    pacer.acquire()
    assert len(clock.sleeps) - before == 1  # no 50 ms polling while waiting at a known rate
