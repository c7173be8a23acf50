"""Rows, ratios, target checks and the Markdown that goes to the terminal and RESULTS.md."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .scenarios import SCENARIOS
from .senders import SENDERS

PEER_API = "django-anymail"
PEER_SDK = "lettr-sdk"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


@dataclass
class Row:
    """One sender in one scenario."""

    scenario: str
    sender: str
    status: str  # "ok", "n/a (...)", "skipped (...)", "error", "timeout"
    n: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    requests: int = 0
    rate_limited: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    invalid: int = 0
    peak_rss: int = 0
    rss_growth: int = 0
    app_errors: int = 0
    first_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def msgs_per_s(self) -> float:
        """Messages delivered (received by the target) per second of wall time."""
        return self.delivered / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_us_per_msg(self) -> float:
        return self.cpu_s * 1e6 / self.n if self.n else 0.0


def find(rows: list[Row], scenario: str, sender: str) -> Row | None:
    for row in rows:
        if row.scenario == scenario and row.sender == sender:
            return row
    return None


def ratio(rows: list[Row], row: Row, peer: str) -> float | None:
    """How many times better ``row`` is than ``peer`` in the same scenario (higher = better).

    P1, P2, P4: messages delivered per second; P3: the share of the burst delivered (a
    sender that loses 98% of it in a third of a second is not 6x faster); P5: the peer's
    RSS growth over ours.
    """
    other = find(rows, row.scenario, peer)
    if other is None or not other.ok or not row.ok:
        return None
    if row.scenario == "P3":
        if not other.delivered or not row.n:
            return None
        return (row.delivered / row.n) / (other.delivered / other.n)
    if row.scenario == "P5":
        if row.rss_growth <= 0:
            return None
        return other.rss_growth / row.rss_growth
    if other.msgs_per_s <= 0:
        return None
    return row.msgs_per_s / other.msgs_per_s


# -- targets --------------------------------------------------------------------------------
@dataclass
class Check:
    scenario: str
    sender: str
    target: str
    measured: str
    met: bool | None  # None: could not be measured


def check_targets(rows: list[Row]) -> list[Check]:
    """The issue's targets, for every one of our senders that ran."""
    checks: list[Check] = []
    ours = [name for name, info in SENDERS.items() if info.ours]
    p1 = find(rows, "P1", "lettr_django")
    if p1 is not None:
        for peer, want in ((PEER_API, 1.8), (PEER_SDK, 1.0)):
            r = ratio(rows, p1, peer)
            checks.append(Check("P1", "lettr_django", f">= {want}x {peer} msgs/s",
                                "n/a" if r is None else f"{r:.2f}x",
                                None if r is None else r >= want))
    for name in ours:
        row = find(rows, "P2", name)
        if row is not None and row.ok:
            requests_needed = math.ceil(row.n / 50)
            limit = 1.1 * requests_needed / (SCENARIOS["P2"].rate_limit or 3)
            checks.append(Check(
                "P2", name, f"<= {limit:.1f} s (1.1x {requests_needed} req at 3/s), "
                "0 429s, 0 lost",
                f"{row.wall_s:.1f} s, {row.rate_limited} 429s, {row.lost} lost",
                row.wall_s <= limit and row.rate_limited == 0 and row.lost == 0))
        row = find(rows, "P3", name)
        if row is not None and row.ok:
            checks.append(Check(
                "P3", name, ">= 2.85 req/s, 0 429s, 0 lost",
                f"{row.requests_per_s:.2f} req/s, {row.rate_limited} 429s, {row.lost} lost",
                row.requests_per_s >= 0.95 * 3 and row.rate_limited == 0 and row.lost == 0))
        row = find(rows, "P4", name)
        if row is not None and row.ok:
            checks.append(Check(
                "P4", name, ">= 45 req/s (0.9x 50)",
                f"{row.requests_per_s:.1f} req/s, {row.rate_limited} 429s, {row.lost} lost",
                row.requests_per_s >= 45 and row.lost == 0))
        row = find(rows, "P5", name)
        if row is not None and row.ok:
            encoded = SCENARIOS["P5"].encoded_attachment_bytes
            checks.append(Check(
                "P5", name, f"RSS growth <= 3x encoded ({3 * encoded / 2**20:.1f} MiB)",
                f"{row.rss_growth / 2**20:.1f} MiB = {row.rss_growth / encoded:.2f}x",
                row.rss_growth <= 3 * encoded and row.lost == 0))
    return checks


# -- machine --------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = []
    for dist in ("lettr-mail", "Django", "django-anymail", "Flask", "Flask-Mail", "lettr",
                 "requests", "httpx", "aiosmtpd"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{dist} {metadata.version(dist)}")
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": ", ".join(versions),
    }


# -- formatting -----------------------------------------------------------------------------
def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


HEADER = ["scenario", "sender", "n", "msgs/s", "CPU µs/msg", "requests", "429s", "lost",
          "peak RSS MiB", "RSS growth MiB", "x anymail", "x SDK"]


def table_rows(rows: list[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        if not row.ok:
            status = row.status if row.status != "error" else "error (see below)"
            out.append([row.scenario, row.sender, status] + [""] * (len(HEADER) - 3))
            continue
        out.append([
            row.scenario, row.sender, _num(row.n), _num(row.msgs_per_s, 1),
            _num(row.cpu_us_per_msg), _num(row.requests), _num(row.rate_limited),
            _num(row.lost), _num(row.peak_rss / 2**20, 1), _num(row.rss_growth / 2**20, 1),
            _ratio_text(ratio(rows, row, PEER_API)) if row.sender != PEER_API else "1.00x",
            _ratio_text(ratio(rows, row, PEER_SDK)) if row.sender != PEER_SDK else "1.00x",
        ])
    return out


def markdown_table(rows: list[Row], *, ran_only: bool = False) -> str:
    """The table as Markdown; ``ran_only`` leaves out rows that did not run (n/a, skipped)."""
    lines = ["| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---" if i < 2 else "---:" for i in range(len(HEADER))) + "|"]
    for row, cells in zip(rows, table_rows(rows), strict=True):
        if ran_only and not row.ok:
            continue
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def terminal_table(rows: list[Row]) -> str:
    body = table_rows(rows)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h)
              for i, h in enumerate(HEADER)]
    fmt = []
    for cells in [HEADER, *body]:
        if len(cells) > 3 and cells[3] == "" and cells[2] != "n":
            fmt.append(f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]}")
            continue
        fmt.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
    return "\n".join(fmt)


def checks_markdown(checks: list[Check]) -> str:
    if not checks:
        return "_No target could be checked (our senders did not run)._"
    lines = ["| scenario | sender | target | measured | met |", "|---|---|---|---|---|"]
    for c in checks:
        met = "n/a" if c.met is None else ("yes" if c.met else "**no**")
        lines.append(f"| {c.scenario} | {c.sender} | {c.target} | {c.measured} | {met} |")
    return "\n".join(lines)


def render(rows: list[Row], info: dict[str, Any], checks: list[Check]) -> str:
    """The whole RESULTS.md."""
    m = info["machine"]
    scen_lines = "\n".join(
        f"- **{s.name}**: {s.title} (n = {s.messages:,})" for s in info["scenarios"]
    )
    errors = [r for r in rows if r.status == "error" or (r.ok and r.first_error)]
    err_lines = "\n".join(
        f"- {r.scenario} {r.sender}: {r.app_errors} errors seen by the application; first: "
        f"`{(r.first_error or '').splitlines()[-1] if r.first_error else ''}`"
        for r in errors
    ) or "- none"
    return f"""# lettr-mail benchmarks

Generated by `make bench` (`python -m benchmarks.run {info['argv']}`).

- Date: {m['date']}
- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['os']}, Python {m['python']}
- Packages: {m['versions']}
- Stub server alone: {info['capacity']} requests/s (raw keep-alive sockets,
  {info['capacity_clients']} client processes); fastest sender in this run (P1):
  {info['fastest']} requests/s.
- Scale: {info['scale']}. Senders that send one request at a time are capped at
  {info['cap']} messages in the latency-bound scenarios P2 and P4 (their rate is set by the
  latency, not by n); ours without a batch API are capped at {info['paced_cap']} in P2 (they
  pace one request per message at 3/s). The n column shows what each sender sent.

Scenarios:
{scen_lines}

## Results

{markdown_table(rows)}

- P1 and P5 are run {info['repeat']} times per sender, each in a fresh process; the fastest
  run is shown (the machine is shared: best-of is the least noisy figure). The others run once.
- **msgs/s**: messages *delivered* (received by the stub or the SMTP sink) per second of wall
  time; the clock covers building the library's message objects and sending them all.
- **CPU µs/msg**: CPU time of the sender process (all threads) over the timed region ÷ n.
- **requests**: HTTP requests the stub received (SMTP senders: messages the sink received);
  **429s**: answers refused by the stub's rate limit; **lost**: messages never delivered.
- **peak RSS**: high-water RSS of the sender process during the timed region (reset just
  before it); **RSS growth**: that peak minus the RSS just before.
- **x anymail / x SDK**: how many times better than django-anymail / Lettr's SDK loop in the
  same run — P1, P2, P4: msgs/s ratio; P3: ratio of the share of the burst delivered;
  P5: their RSS growth ÷ ours.
- SMTP senders (Django's SMTP backend, Flask-Mail) deliver to a loopback aiosmtpd sink with no
  latency and no rate limit; P3 and P4 (HTTP rate limits) do not apply to them.

## Targets (issue 7)

{checks_markdown(checks)}

## Errors the application saw

{err_lines}
"""


def update_readme(readme: Path, rows: list[Row], info: dict[str, Any]) -> bool:
    """Replace the table between the README's bench markers; False when there are none."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    m = info["machine"]
    block = (f"{README_START}\n_Measured {m['date']} on {m['nproc']} CPUs ({m['cpu']}), "
             f"Python {m['python']}; ratios are msgs/s (P3: share delivered, P5: RSS growth) "
             f"against the peer in the same run; method, targets and the rows that did not "
             f"run in `benchmarks/RESULTS.md`._\n\n"
             f"{markdown_table(rows, ran_only=True)}\n{README_END}")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    readme.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")
    return True
