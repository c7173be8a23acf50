"""One sender, one scenario, one process: set up, then time the sends and read the costs.

The clock covers what the application does for the whole batch: building the library's
message objects from plain data and sending them. Imports, framework setup and the message
data (including P5's random attachment bytes) come before it. CPU time is the process's
(every thread of it, so a worker pool's CPU counts); peak RSS is ``ru_maxrss`` of this process.
"""

from __future__ import annotations

import gc
import os
import resource
import time
import traceback
from dataclasses import asdict
from typing import Any

from .scenarios import Scenario, message_data
from .senders import SEND, SETUP, Endpoints, Unavailable


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def _status_bytes(field: str) -> int | None:
    """``VmRSS``/``VmHWM`` from ``/proc/self/status`` in bytes (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0: ``clear_refs`` 5); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _current_rss_bytes() -> int:
    return _status_bytes("VmRSS") or _maxrss_bytes()


def run_one(sender: str, scenario: Scenario, count: int, ends: Endpoints) -> dict[str, Any]:
    """Measure ``sender`` sending ``count`` messages of ``scenario``; a plain dict back.

    ``LETTR_*`` variables of the caller's environment are dropped first (a real key or
    ``LETTR_TRANSPORT=smtp`` must not leak into a benchmark), unless ``BENCH_KEEP_LETTR_ENV=1``
    asks to keep them for an experiment (``LETTR_RATE_LIMIT=...``).
    """
    if os.environ.get("BENCH_KEEP_LETTR_ENV") != "1":
        for name in [n for n in os.environ if n.startswith("LETTR_")]:
            del os.environ[name]
    try:
        SETUP[sender](ends)
    except Unavailable as exc:
        return {"status": f"n/a ({exc})"}
    items = message_data(scenario, count)
    gc.collect()
    peak_reset = _reset_peak()
    rss_before = _current_rss_bytes()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    try:
        outcome = SEND[sender](items)
    except Unavailable as exc:
        return {"status": f"n/a ({exc})"}
    except Exception:
        return {"status": "error", "error": traceback.format_exc(limit=6)}
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_since = _status_bytes("VmHWM") if peak_reset else None
    peak = _maxrss_bytes()
    if peak_since is None:  # no reset possible: the life-long peak bounds the growth
        peak_since = peak
    return {
        "status": "ok",
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": peak,
        "rss_before": rss_before,
        "rss_growth": max(0, peak_since - rss_before),
        **asdict(outcome),
    }


def child_main(sender: str, scenario: Scenario, count: int, ends: Endpoints, out: Any) -> None:
    """Entry point of the spawned process: the result goes back through ``out`` (a Queue)."""
    try:
        result = run_one(sender, scenario, count, ends)
    except BaseException:
        result = {"status": "error", "error": traceback.format_exc(limit=6)}
    out.put(result)
