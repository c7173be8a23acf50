"""Profile one sender's hot path against the stub: ``python -m benchmarks.profile_hot``.

Runs the sender in this process under cProfile (after a warm-up batch, so imports and the
first connection are not counted) and prints the functions where the time goes, plus a
breakdown of our own path (payload building, JSON encoding, requests, the limiter) when
the sender is one of ours.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

from .scenarios import SCENARIOS, message_data
from .senders import SEND, SETUP, Endpoints
from .targets import Targets

#: functions whose cumulative time answers "where do the µs go" on our API path
BUCKETS = {
    "payload building (build_payload)": "build_payload",
    "JSON encoding (encode_body)": "encode_body",
    "ApiTransport._send_http (prepared request to the adapter)": "_send_http",
    "message objects (Email.__init__)": "__init__' of 'lettr_core.message",
    "requests Session.request (all of requests)": "sessions.py:557(request)",
    "  requests prepare_request": "sessions.py:511(prepare_request)",
    "  requests merge_environment_settings": "merge_environment_settings",
    "  requests Session.send": "sessions.py:752(send)",
    "    HTTPAdapter.send": "adapters.py:634(send)",
    "      urllib3 urlopen (incl. socket I/O)": "connectionpool.py:598(urlopen)",
    "    cookies extract_cookies_to_jar": "extract_cookies_to_jar",
    "    build_response": "build_response",
    "rate limiter acquire": "acquire",
    "rate limiter update": "ratelimit.py:78(update)",
    "response JSON (parse_json)": "parse_json",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sender", default="lettr_core")
    parser.add_argument("--scenario", default="P1")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--workers", type=int, default=1,
                        help="LETTR_MAX_WORKERS (cProfile sees only the calling thread: keep 1)")
    args = parser.parse_args(argv)
    os.environ["LETTR_MAX_WORKERS"] = str(args.workers)
    os.environ.setdefault("LETTR_RATE_LIMIT", "100000")  # no 3/s start-up pacing in the profile
    scenario = SCENARIOS[args.scenario]
    with Targets(smtp=True) as targets:
        targets.configure(latency_ms=scenario.latency_ms, rate_limit=scenario.rate_limit)
        ends = Endpoints(targets.base_url, targets.smtp_port)
        SETUP[args.sender](ends)
        SEND[args.sender](message_data(scenario, 50))  # warm-up: imports, first connection
        items = message_data(scenario, args.n)
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        profiler.enable()
        outcome = SEND[args.sender](items)
        profiler.disable()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stats = targets.stats()
    print(f"{args.sender} {args.scenario} n={args.n}: {wall:.2f} s wall under cProfile, "
          f"{cpu * 1e6 / args.n:.0f} µs CPU/msg, sent {outcome.reported_sent}, "
          f"errors {outcome.errors}, stub requests {stats['requests']}")
    out = io.StringIO()
    ps = pstats.Stats(profiler, stream=out)
    ps.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    total = sum(v[2] for v in ps.stats.values())  # type: ignore[attr-defined]
    print(f"buckets (cumulative, µs per message; total tottime {total * 1e6 / args.n:.0f}):")
    for label, needle in BUCKETS.items():
        cum = max((v[3] for k, v in ps.stats.items()  # type: ignore[attr-defined]
                   if needle in f"{k[0]}:{k[1]}({k[2]})" or needle in str(k)), default=0.0)
        print(f"  {label:<45} {cum * 1e6 / args.n:8.0f}")


if __name__ == "__main__":
    main()
