"""Fault injection and rate limiting for the dev server's HTTP API.

Each authenticated API request draws its fate from one seeded :class:`random.Random`, always
three numbers in the same order (fail, reset, lost reply), so a given ``seed`` gives the same
sequence of faults whichever rates are set. SMTP messages draw from a second generator with the
same seed, so mail on one door does not shift the faults on the other. The rate limit counts
requests in fixed one-second windows of the injected clock, as Lettr reports them in
``X-RateLimit-*``.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

#: the limit reported in ``X-RateLimit-Limit`` when no rate limit is set (nothing is refused;
#: high enough that a client pacing itself by it is never the bottleneck of a benchmark)
UNLIMITED_REPORTED_LIMIT = 10_000

#: fault counters exposed at ``GET /_dev/stats`` (all start at 0)
STAT_NAMES = (
    "requests", "stored", "unauthorized", "validation_errors", "rate_limited", "failed",
    "reset", "lost_reply", "idempotent_replays", "smtp_messages", "smtp_auth_failures",
    "smtp_failed",
)


@dataclass
class Knobs:
    """The adjustable behaviour; every field can be changed while the server runs."""

    latency_ms: float = 0.0
    rate_limit: int | None = None
    retry_after: int | None = None
    fail_rate: float = 0.0
    fail_status: int = 500
    reset_rate: float = 0.0
    lost_reply_rate: float = 0.0
    smtp_fail_rate: float = 0.0

    def check(self) -> None:
        """Raise ValueError for a knob out of range."""
        for name in ("fail_rate", "reset_rate", "lost_reply_rate", "smtp_fail_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError("rate_limit must be at least 1 (or None for no limit)")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if self.fail_status not in (500, 502, 503, 504):
            raise ValueError("fail_status must be one of 500, 502, 503, 504")


@dataclass
class Fate:
    """What happens to one request."""

    fail: bool = False
    reset: bool = False
    lost_reply: bool = False


@dataclass
class RateWindow:
    """The rate limit headers of one answer, and whether the request was refused."""

    limit: int
    remaining: int
    reset_at: int
    refused: bool = False
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` when refused)."""
        result = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if self.refused:
            result["Retry-After"] = str(self.retry_after)
        return result


@dataclass
class FaultInjector:
    """The knobs, the seeded random source, the rate window and the counters."""

    knobs: Knobs = field(default_factory=Knobs)
    seed: int | None = None
    clock: Callable[[], float] = field(default=lambda: 0.0)

    def __post_init__(self) -> None:
        self.knobs.check()
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._smtp_random = random.Random(self.seed)
        self._window = -1
        self._count = 0
        self.stats: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)

    def count(self, name: str) -> None:
        """Add one to counter ``name``."""
        with self._lock:
            self.stats[name] = self.stats.get(name, 0) + 1

    def draw(self) -> Fate:
        """The fate of the next request (consumes three random numbers)."""
        with self._lock:
            fail, reset, lost = (self._random.random() for _ in range(3))
        knobs = self.knobs
        return Fate(
            fail=fail < knobs.fail_rate,
            reset=reset < knobs.reset_rate,
            lost_reply=lost < knobs.lost_reply_rate,
        )

    def smtp_fails(self) -> bool:
        """Whether the next SMTP message is refused with 451 (its own random sequence)."""
        with self._lock:
            draw = self._smtp_random.random()
        if draw < self.knobs.smtp_fail_rate:
            self.count("smtp_failed")
            return True
        return False

    def peek_window(self) -> RateWindow:
        """The current window's headers, without counting a request."""
        return self._take(consume=False)

    def take(self) -> RateWindow:
        """Count one request against the rate limit; ``refused`` when over it."""
        return self._take(consume=True)

    def _take(self, consume: bool) -> RateWindow:
        now = self.clock()
        limit = self.knobs.rate_limit
        with self._lock:
            window = math.floor(now)
            if window != self._window:
                self._window, self._count = window, 0
            reported = limit if limit is not None else UNLIMITED_REPORTED_LIMIT
            refused = False
            if consume:
                if limit is not None and self._count >= limit:
                    refused = True
                else:
                    self._count += 1
            remaining = max(0, reported - self._count)
        reset_at = window + 1
        retry_after = self.knobs.retry_after
        if retry_after is None:
            retry_after = max(1, math.ceil(reset_at - now))
        return RateWindow(reported, remaining, reset_at, refused, retry_after)

    def reset(self, seed: int | None = None) -> None:
        """Zero the counters and the rate window; reseed the random source."""
        with self._lock:
            self.stats = dict.fromkeys(STAT_NAMES, 0)
            self._window, self._count = -1, 0
            self._random = random.Random(self.seed if seed is None else seed)
            self._smtp_random = random.Random(self.seed if seed is None else seed)
