"""A thread-safe client-side pacer that keeps a process under Lettr's team rate limit.

Requests are spaced at least ``1/rate`` seconds apart (a little more, for clock jitter), so a
burst is paced instead of refused. The rate starts at the configured value (Lettr's default
is 3/s) and follows ``X-RateLimit-Limit`` once the API reports it; ``X-RateLimit-Remaining: 0``
holds every request until ``X-RateLimit-Reset``, and a 429's ``Retry-After`` does the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

#: spacing margin over 1/rate, so server-side windows never see rate+1 requests
_MARGIN = 1.03
#: longest single wait before a waiting caller looks again, until the API has reported its
#: limit (that first report may raise the rate for everyone already waiting)
_RECHECK = 0.05


class RateLimiter:
    """Paces calls to :meth:`acquire`; fed by :meth:`update` with response headers.

    ``ceiling`` (an explicit ``RATE_LIMIT``) caps what the API may report: the team limit is
    shared by every process and key, so a user may want this process to use less of it.
    """

    def __init__(
        self,
        rate: float,
        *,
        ceiling: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._ceiling = ceiling
        self._interval = 0.0
        self.rate = rate
        self._last: float | None = None
        self._learnt = False
        self._blocked_until = 0.0

    @property
    def rate(self) -> float:
        """Requests per second currently allowed."""
        return _MARGIN / self._interval if self._interval else float("inf")

    @rate.setter
    def rate(self, value: float) -> None:
        if self._ceiling is not None:
            value = min(value, self._ceiling)
        self._interval = _MARGIN / value if value > 0 else 0.0

    def acquire(self) -> float:
        """Block until this caller may send; return the seconds waited.

        No slot is promised in advance: until the API has reported its limit a waiting
        caller looks again every 50 ms, so the limit learnt from the first answer applies at
        once to everyone already waiting; after that each caller sleeps until its turn and
        looks again on waking (a hold set meanwhile still applies). Spacing is measured
        between actual departures, so a late wake-up never lets two requests leave closer
        together than the limit allows.
        """
        start = self._clock()
        with self._lock:
            if self._last is not None and self._last > start:
                # only a replaced, instant sleep (tests, fault runs) leaves the last departure
                # ahead of the clock: count from there, or each caller would first sleep
                # through all the simulated time of the callers before it (quadratic)
                start = self._last
        waited = 0.0
        while True:
            with self._lock:
                # at least the time slept has passed (true of real sleep; it keeps a
                # replaced, instant sleep from spinning until the real clock catches up)
                now = max(self._clock(), start + waited)
                ready = self._blocked_until
                if self._last is not None:
                    ready = max(ready, self._last + self._interval)
                if ready <= now:
                    self._last = now
                    return waited
                wait = ready - now if self._learnt else min(ready - now, _RECHECK)
            self._sleep(wait)
            waited += wait

    def update(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``X-RateLimit-*`` headers."""
        limit = _number(headers.get("X-RateLimit-Limit"))
        if limit and limit > 0:
            with self._lock:
                self.rate = limit
                self._learnt = True
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        reset = _number(headers.get("X-RateLimit-Reset"))
        if remaining is not None and remaining <= 0 and reset is not None:
            delay = reset - self._wall_clock()
            if 0 < delay <= 3600:
                self.hold(delay)

    def hold(self, seconds: float) -> None:
        """Let nobody send for ``seconds`` (after a 429's ``Retry-After``)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
