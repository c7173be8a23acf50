"""An audit's result and its two renderings: text for people, JSON for CI.

The JSON schema is stable: ``{"root": str, "findings": [finding, ...], "summary": summary}``
with each finding ``{"kind", "severity", "file", "line", "message", "advice"}`` and the summary
``{"total", "files_scanned", "by_severity": {"info", "change", "blocker"}, "by_kind": {kind:
count}}``. New keys may be added; existing ones keep their meaning.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from dataclasses import dataclass, field

from .findings import KINDS, SEVERITIES, Finding

FORMATS = ("text", "json")


@dataclass
class AuditReport:
    """Findings of one audit, sorted by file and line."""

    root: str
    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0

    @property
    def has_blockers(self) -> bool:
        """True when at least one finding is a blocker (what ``--strict`` fails on)."""
        return any(f.severity == "blocker" for f in self.findings)

    def summary(self) -> dict[str, object]:
        """Counts per severity and per kind (kinds in the order of :data:`KINDS`)."""
        kinds = Counter(f.kind for f in self.findings)
        severities = Counter(f.severity for f in self.findings)
        return {
            "total": len(self.findings),
            "files_scanned": self.files_scanned,
            "by_severity": {s: severities[s] for s in SEVERITIES},
            "by_kind": {k: kinds[k] for k in KINDS if kinds[k]},
        }

    def to_dict(self) -> dict[str, object]:
        """The JSON document."""
        return {
            "root": self.root,
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary(),
        }


def render_json(report: AuditReport) -> str:
    """The report as a JSON document (with a trailing newline)."""
    return json.dumps(report.to_dict(), indent=2) + "\n"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)


def render_text(report: AuditReport) -> str:
    """The report for a terminal: one line per finding, then counts and advice per kind."""
    files = f"{report.files_scanned} file{'' if report.files_scanned == 1 else 's'}"
    lines = [f"lettr audit: {report.root} ({files} read)", ""]
    if not report.findings:
        lines.append("No SMTP use, mail settings or hard-coded credentials found.")
        return "\n".join(lines) + "\n"
    for f in report.findings:
        label = f.severity.upper() if f.severity == "blocker" else f.severity
        lines.append(f"{f.file}:{f.line}: [{label}] {f.kind}: {f.message}")
        if f.advice != KINDS[f.kind].advice:
            lines.append(_wrap(f.advice, "    -> "))
    by_severity = Counter(f.severity for f in report.findings)
    by_kind = Counter(f.kind for f in report.findings)
    counts = ", ".join(f"{by_severity[s]} {s}" for s in reversed(SEVERITIES))
    lines += ["", f"Summary: {len(report.findings)} findings ({counts})", ""]
    for kind, info in KINDS.items():
        count = by_kind[kind]
        if not count:
            continue
        lines.append(f"  {count:>4}  {kind} [{info.severity}] - {info.title}")
        lines.append(_wrap(info.advice, " " * 10))
    if report.has_blockers:
        lines += ["", "Blockers found: fix them before moving to Lettr (--strict fails on them)."]
    return "\n".join(lines) + "\n"


def render(report: AuditReport, fmt: str) -> str:
    """Render in ``fmt`` (``"text"`` or ``"json"``)."""
    if fmt == "json":
        return render_json(report)
    if fmt == "text":
        return render_text(report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
