"""``lettr audit PATH [--format text|json] [--strict]`` and the helper the framework commands use.

Exit status: 0 when the audit ran (also with findings), 1 with ``--strict`` when a blocker was
found, 2 for usage errors (bad option, missing path).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .engine import audit_path
from .findings import KINDS
from .report import FORMATS, AuditReport, render

EXIT_OK = 0
EXIT_BLOCKERS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lettr audit``."""
    blockers = ", ".join(k for k, info in KINDS.items() if info.severity == "blocker")
    parser = argparse.ArgumentParser(
        prog="lettr audit",
        description="Report SMTP use, mail settings and migration steps in a codebase, "
        "without importing or running it.",
        epilog=f"Blocker kinds: {blockers}.",
    )
    parser.add_argument("path", help="directory (or file) to audit")
    add_report_options(parser)
    return parser


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``--format``, ``--strict`` and ``--exclude``: shared by ``lettr audit`` and the
    framework commands (``manage.py lettr_audit``), so the three spell them alike."""
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a blocker is found"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files/directories matching GLOB (a name like 'tests', or a path from "
        "PATH like 'app/legacy/*'); repeatable",
    )


def exit_code(report: AuditReport, strict: bool) -> int:
    """0, or 1 when ``strict`` and the report has a blocker."""
    return EXIT_BLOCKERS if strict and report.has_blockers else EXIT_OK


def run_for_app_root(
    root: str | os.PathLike[str],
    fmt: str = "text",
    strict: bool = False,
    out: TextIO | None = None,
    exclude: Sequence[str] = (),
) -> int:
    """Audit ``root``, write the report to ``out`` (stdout by default), return the exit status.

    Used by ``flask lettr audit`` (on the application's root) and ``manage.py lettr_audit``.
    Returns 2 with a message on stderr for an unknown format or a missing root.
    """
    stream = out if out is not None else sys.stdout
    if fmt not in FORMATS:
        print(f"lettr audit: unknown format {fmt!r} (choose from text, json)", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = audit_path(root, exclude)
    except FileNotFoundError as exc:
        print(f"lettr audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stream.write(render(report, fmt))
    return exit_code(report, strict)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lettr audit``; ``argv`` excludes the ``audit`` word itself."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return run_for_app_root(args.path, args.format, args.strict, exclude=args.exclude)
