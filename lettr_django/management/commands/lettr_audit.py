"""``python manage.py lettr_audit [PATH] [--format text|json] [--strict] [--exclude GLOB]``.

Runs :mod:`lettr_core.audit` on the project (``settings.BASE_DIR``) or on PATH. With
``--strict`` a blocker makes the command fail with exit status 1.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lettr_core.audit import audit_path, render
from lettr_core.audit.cli import add_report_options


class Command(BaseCommand):
    """Report SMTP use, mail settings and migration steps in this project."""

    help = (
        "Report SMTP use, EMAIL_* settings, hard-coded credentials and other migration steps "
        "in the project (settings.BASE_DIR) or PATH, without importing or running that code."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """PATH, --format, --strict: the same options as ``lettr audit``."""
        parser.add_argument("path", nargs="?", help="directory to audit (default: BASE_DIR)")
        add_report_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the audit and write the report to stdout."""
        root = options.get("path") or getattr(settings, "BASE_DIR", None)
        if not root:
            raise CommandError("settings.BASE_DIR is not set: pass the directory to audit")
        try:
            report = audit_path(root, options.get("exclude") or ())
        except FileNotFoundError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(render(report, options["format"]), ending="")
        if options["strict"] and report.has_blockers:
            raise CommandError("lettr_audit: blockers found (see above)", returncode=1)
