"""``python -m benchmarks.run``: every sender in every scenario, side by side.

Starts the targets (stub HTTP API + SMTP sink) in their own process, measures the stub alone,
then runs each (scenario, sender) pair in a fresh spawned process, reading delivery figures
from the targets' counters. Prints the table and writes ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import capacity
from .report import Row, check_targets, machine, render, terminal_table, update_readme
from .scenarios import SCENARIOS, Scenario
from .senders import SENDERS, Endpoints
from .targets import Targets
from .worker import child_main

HERE = Path(__file__).resolve().parent
#: short scenarios run --repeat times per sender (fresh process each), keeping the fastest
REPEATED = ("P1", "P5")
DEFAULT_P3 = ("django-anymail", "lettr-sdk", "lettr_django", "lettr_core")


@dataclass
class Options:
    scale: float
    scenarios: list[str]
    senders: list[str]
    p3_senders: list[str]
    cap: int
    paced_cap: int
    output: Path
    readme: Path | None
    capacity_seconds: float
    pair_timeout: float
    repeat: int
    quiet: bool
    argv: str


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every scenario's message count (0.01 for a smoke run)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated, e.g. P1,P5")
    parser.add_argument("--senders", default=",".join(SENDERS), help="comma-separated")
    parser.add_argument("--p3-senders", default=",".join(DEFAULT_P3),
                        help="who runs P3 (each of ours takes ~100 s at full scale); 'all'")
    parser.add_argument("--sequential-cap", type=int, default=400,
                        help="messages for senders without concurrency in P2/P4 (latency-bound)")
    parser.add_argument("--paced-cap", type=int, default=60,
                        help="messages in P2 for our senders that pace one request per message "
                             "(no batch API): at 3 req/s n messages take n/3 s")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--readme", type=Path, default=None,
                        help="also refresh the table between the bench markers of this README")
    parser.add_argument("--capacity-seconds", type=float, default=2.0,
                        help="how long to load the stub alone (0 skips)")
    parser.add_argument("--pair-timeout", type=float, default=240.0,
                        help="seconds before one sender's run is stopped and reported as such")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the short scenarios (P1, P5) per sender; the best is kept")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    def names(text: str, known: dict[str, Any]) -> list[str]:
        chosen = list(known) if text == "all" else [t.strip() for t in text.split(",") if t]
        unknown = [n for n in chosen if n not in known]
        if unknown:
            parser.error(f"unknown: {', '.join(unknown)}; known: {', '.join(known)}")
        return chosen

    return Options(
        scale=args.scale,
        scenarios=names(args.scenarios.upper(), SCENARIOS),
        senders=names(args.senders, SENDERS),
        p3_senders=names(args.p3_senders, SENDERS),
        cap=args.sequential_cap,
        paced_cap=args.paced_cap,
        output=args.output,
        readme=args.readme,
        capacity_seconds=args.capacity_seconds,
        pair_timeout=args.pair_timeout,
        repeat=max(1, args.repeat),
        quiet=args.quiet,
        argv=" ".join(argv if argv is not None else sys.argv[1:]),
    )


def plan(scenario: Scenario, sender: str, opts: Options) -> tuple[int, str | None]:
    """``(messages to send, reason to skip or None)`` for one pair."""
    info = SENDERS[sender]
    if info.wire == "smtp" and scenario.rate_limit is not None and not scenario.newsletter:
        return 0, "n/a (HTTP rate-limit scenario)"
    if scenario.name == "P3" and sender not in opts.p3_senders:
        return 0, "skipped (--p3-senders)"
    count = scenario.messages
    if scenario.latency_ms and not info.concurrent and info.wire != "smtp":
        count = min(count, max(1, opts.cap))
    if scenario.newsletter and scenario.rate_limit and info.ours and not info.concurrent:
        count = min(count, max(1, opts.paced_cap))
    return count, None


def _context() -> Any:
    """Fresh processes: forked from a clean fork server (cheap) where there is one, else spawned.

    The fork server is a new interpreter that has imported only the worker module, so every
    sender starts without the harness's (or pytest's) state, and pays no interpreter start.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["benchmarks.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def run_pair(
    targets: Targets, scenario: Scenario, sender: str, count: int, timeout: float = 240.0
) -> Row:
    """Spawn one sender process for one scenario and read the targets' counters after it."""
    targets.configure(latency_ms=scenario.latency_ms, rate_limit=scenario.rate_limit)
    ends = Endpoints(targets.base_url, targets.smtp_port)
    ctx = _context()
    out = ctx.Queue()
    proc = ctx.Process(target=child_main, args=(sender, scenario, count, ends, out))
    proc.start()
    try:
        result: dict[str, Any] = out.get(timeout=timeout)
    except queue.Empty:
        proc.kill()
        result = {"status": "timeout"}
    proc.join(timeout=30)
    stats = targets.stats()
    row = Row(scenario.name, sender, result.get("status", "error"), n=count)
    if row.status == "timeout":
        delivered = (stats.get("smtp") or {}).get("recipients", 0) \
            if SENDERS[sender].wire == "smtp" else stats["recipients"]
        row.status = (f"timeout: stopped after {timeout:.0f} s with {delivered:,} of {count:,} "
                      f"delivered, {stats['requests']:,} requests, "
                      f"{stats['rate_limited']:,} 429s")
    if not row.ok:
        row.first_error = result.get("error")
        return row
    expected = count  # one recipient per message in every scenario
    if SENDERS[sender].wire == "smtp":
        smtp = stats.get("smtp") or {}
        row.requests = int(smtp.get("messages", 0))
        delivered = int(smtp.get("recipients", 0))
    else:
        row.requests = int(stats["requests"])
        row.rate_limited = int(stats["rate_limited"])
        row.invalid = int(stats["invalid"])
        delivered = int(stats["recipients"])
    row.delivered = min(delivered, expected)
    row.lost = max(0, expected - delivered)
    row.duplicates = max(0, delivered - expected)
    row.wall_s = float(result["wall_s"])
    row.cpu_s = float(result["cpu_s"])
    row.peak_rss = int(result["peak_rss"])
    row.rss_growth = int(result["rss_growth"])
    row.app_errors = int(result.get("errors", 0))
    row.first_error = result.get("first_error")
    row.extra = dict(result.get("extra") or {})
    return row


def main(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark; returns the rows (also printed and written to ``--output``)."""
    opts = parse_args(argv)
    say = (lambda *a: None) if opts.quiet else (lambda *a: print(*a, flush=True))
    rows: list[Row] = []
    scenarios = [SCENARIOS[name].scaled(opts.scale) for name in opts.scenarios]
    started = time.perf_counter()
    with Targets() as targets:
        cap_rps = 0.0
        clients = 0
        if opts.capacity_seconds > 0:
            targets.configure()
            clients = max(1, min(4, multiprocessing.cpu_count()))
            cap_rps = capacity.measure(targets.http_port, opts.capacity_seconds, clients)
            say(f"stub server alone: {cap_rps:,.0f} requests/s ({clients} raw-socket clients)")
        for scenario in scenarios:
            say(f"\n{scenario.name}: {scenario.title} (n = {scenario.messages:,})")
            for sender in opts.senders:
                count, skip = plan(scenario, sender, opts)
                if skip:
                    rows.append(Row(scenario.name, sender, skip))
                    say(f"  {sender:<15} {skip}")
                    continue
                runs = opts.repeat if scenario.name in REPEATED else 1
                row = run_pair(targets, scenario, sender, count, opts.pair_timeout)
                for _ in range(runs - 1):
                    if not row.ok:
                        break
                    again = run_pair(targets, scenario, sender, count, opts.pair_timeout)
                    if again.ok and again.wall_s < row.wall_s:
                        row = again
                rows.append(row)
                if row.ok:
                    say(f"  {sender:<15} n={row.n:<5} {row.msgs_per_s:>9,.1f} msgs/s "
                        f"{row.cpu_us_per_msg:>8,.0f} µs CPU/msg {row.requests:>5} req "
                        f"{row.rate_limited:>5} 429 {row.lost:>5} lost "
                        f"{row.wall_s:>7.2f} s")
                else:
                    say(f"  {sender:<15} {row.status}"
                        + (f": {row.first_error.strip().splitlines()[-1]}"
                           if row.first_error else ""))
    fastest = max((r.requests_per_s for r in rows if r.ok and r.scenario == "P1"), default=0.0)
    if cap_rps and fastest > 0.5 * cap_rps:
        say(f"WARNING: the fastest sender ({fastest:,.0f} req/s) is above half the stub's "
            f"capacity ({cap_rps:,.0f} req/s): the stub may be the bottleneck")
    info = {
        "machine": machine(),
        "argv": opts.argv,
        "capacity": f"{cap_rps:,.0f}" if cap_rps else "not measured",
        "capacity_clients": clients,
        "fastest": f"{fastest:,.0f}",
        "scale": opts.scale,
        "cap": opts.cap,
        "paced_cap": opts.paced_cap,
        "repeat": opts.repeat,
        "scenarios": scenarios,
    }
    checks = check_targets(rows)
    text = render(rows, info, checks)
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_text(text, encoding="utf-8")
    if opts.readme is not None and not update_readme(opts.readme, rows, info):
        say(f"(no bench markers in {opts.readme}: README not updated)")
    say("\n" + terminal_table(rows))
    for check in checks:
        met = "n/a" if check.met is None else ("met" if check.met else "NOT MET")
        say(f"  {check.scenario} {check.sender}: {check.target}: {check.measured} -> {met}")
    say(f"\nwrote {opts.output} in {time.perf_counter() - started:.0f} s")
    return rows


if __name__ == "__main__":
    main()
