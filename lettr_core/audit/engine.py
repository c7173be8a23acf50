"""Running an audit: walk the tree, hand each file to its checks, collect a report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .config_checks import check_config_text
from .files import iter_files
from .findings import Finding
from .python_checks import check_python_source
from .report import AuditReport


def _check_file(data: bytes, relpath: str, is_python: bool) -> list[Finding]:
    """One file's findings; a file the checks cannot handle is reported, not fatal."""
    try:
        if is_python:
            return check_python_source(data, relpath)
        return check_config_text(data.decode("utf-8", errors="replace"), relpath)
    except Exception as exc:  # one odd file must not stop the audit of the rest
        message = f"the audit could not read this file ({type(exc).__name__})"
        return [Finding("parse-error", relpath, 1, message)]


def audit_path(path: str | os.PathLike[str], exclude: Sequence[str] = ()) -> AuditReport:
    """Audit a directory tree (or one file) without importing or running any of it.

    ``exclude``: glob patterns of files and directories to leave out (see
    :func:`lettr_core.audit.files.excluded`), e.g. ``["tests"]`` for test code with fake keys.

    Raises :class:`FileNotFoundError` when ``path`` does not exist.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no such file or directory: {path}")
    base = root if root.is_dir() else root.parent
    findings: list[Finding] = []
    scanned = 0
    for file in iter_files(root, exclude):
        relpath = file.relative_to(base).as_posix()
        try:
            data = file.read_bytes()
        except OSError as exc:
            findings.append(Finding("parse-error", relpath, 1, f"could not read: {exc.strerror}"))
            continue
        scanned += 1
        findings += _check_file(data, relpath, file.suffix in (".py", ".pyw"))
    findings.sort(key=lambda f: (f.file, f.line, f.kind, f.message))
    return AuditReport(root=str(root.resolve()), findings=findings, files_scanned=scanned)
