"""Which files an audit reads: Python sources and config files, outside virtualenvs and caches.

Directory symlinks are not followed, and files larger than :data:`MAX_FILE_BYTES` are skipped
(generated or vendored code, not the application's own).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .config_checks import is_config_file

#: Directory names never entered.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    "site-packages", "dist-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".hypothesis", ".eggs",
})  # fmt: skip
MAX_FILE_BYTES = 2_000_000


def wanted(name: str) -> bool:
    """True for the file names the audit reads."""
    return name.endswith((".py", ".pyw")) or is_config_file(name)


def excluded(relpath: str, patterns: Sequence[str]) -> bool:
    """True when ``relpath`` (``/``-separated) matches one of the ``--exclude`` patterns.

    A pattern without ``/`` matches a file or directory name anywhere (``tests``,
    ``*_test.py``); a pattern with ``/`` matches the path from the audited root
    (``app/legacy/*``). An excluded directory is not entered.
    """
    name = relpath.rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(relpath if "/" in pattern else name, pattern.strip("/"))
        for pattern in patterns
    )


def iter_files(root: Path, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Files under ``root`` to audit, in a stable (sorted) order; ``root`` may be a file
    (audited when it is a Python or config file)."""
    if root.is_file():
        if wanted(root.name):
            yield root
        return
    for current, dirs, files in os.walk(root):
        here = Path(current)
        rel = here.relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS
            and not (here / d / "pyvenv.cfg").exists()
            and not excluded(prefix + d, exclude)
        )
        for name in sorted(files):
            path = here / name
            if not wanted(name) or path.is_symlink() or excluded(prefix + name, exclude):
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
            except OSError:
                continue
            yield path
