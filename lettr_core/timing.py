"""The waiting functions of lettr_core, looked up at call time.

Transports take ``sleep``/``clock`` arguments for unit tests; code that builds its transports
indirectly (a Django backend, a Flask extension) can still replace the waiting for a whole
test run with ``monkeypatch.setattr(lettr_core.timing, "sleep", fake)``.
"""

from __future__ import annotations

import time


def sleep(seconds: float) -> None:
    """Wait ``seconds`` (the default for every retry and rate-limit wait)."""
    time.sleep(seconds)


def wait(seconds: float) -> None:
    """Call :func:`sleep` as it is *now* (so a test's replacement takes effect)."""
    sleep(seconds)
