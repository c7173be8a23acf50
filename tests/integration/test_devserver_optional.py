"""The dev server's dependencies stay optional: core and the CLI work without them."""

from __future__ import annotations

import subprocess
import sys

BLOCK = "import sys; sys.modules['aiosmtpd'] = None; sys.modules['trustme'] = None; "


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True,
                          timeout=60, check=False)


def test_core_imports_without_aiosmtpd_and_trustme() -> None:
    result = run("import lettr_core, lettr_core.cli, lettr_core.devserver; print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_devserver_command_says_what_to_install() -> None:
    result = run("from lettr_core.cli import main; raise SystemExit(main(['devserver']))")
    assert result.returncode == 1
    assert "lettr-mail[devserver]" in result.stderr
    assert "Traceback" not in result.stderr
