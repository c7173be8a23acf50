"""``lettr audit``: find SMTP use, mail settings and the common migration mistakes in a codebase.

Reads Python with :mod:`ast` and config files line by line (TOML with :mod:`tomllib` where
available); the audited code is never imported or executed. Entry points: :func:`audit_path`
here, ``lettr audit`` (:mod:`lettr_core.audit.cli`), ``python manage.py lettr_audit`` and
``flask lettr audit``. Finding kinds and severities are listed in
:mod:`lettr_core.audit.findings`.
"""

from .engine import audit_path
from .findings import KINDS, SEVERITIES, Finding, KindInfo, Severity
from .report import FORMATS, AuditReport, render, render_json, render_text

__all__ = [
    "FORMATS",
    "KINDS",
    "SEVERITIES",
    "AuditReport",
    "Finding",
    "KindInfo",
    "Severity",
    "audit_path",
    "render",
    "render_json",
    "render_text",
]
