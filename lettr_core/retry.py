"""When and how long to wait before trying a request again.

Retried: 429 (after ``Retry-After``), 5xx, connection errors and timeouts — the errors whose
class says ``retryable``. Never: any other 4xx (a 401 above all: Lettr blocks a key after five
authentication failures in five minutes). Bounded by a number of retries and a total deadline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import LettrError


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by ``max_retries`` and ``deadline``."""

    max_retries: int = 3
    deadline: float = 60.0
    base: float = 0.5
    cap: float = 30.0

    def delay(self, error: LettrError, attempt: int, elapsed: float,
              rng: random.Random | None = None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up.

        ``attempt`` counts from 1 (the attempt that just failed); ``elapsed`` is the time
        spent on this send so far.
        """
        if not error.retryable or attempt > self.max_retries:
            return None
        if error.retry_after is not None:
            wait = max(0.0, error.retry_after)
        else:
            wait = (rng or random).uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))
        if elapsed + wait > self.deadline:
            return None
        return wait
