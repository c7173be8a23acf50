"""``lettr devserver`` as a process: prints where it listens, serves, stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64


def _start(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lettr_core.cli", "devserver", "--port", "0", "--smtp-port", "0",
         "--ca-file", str(tmp_path / "ca.pem"), "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def test_json_line_serve_and_sigterm(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite3"
    env = {**os.environ, "LETTR_DEVSERVER_API_KEY": KEY}
    process = _start(tmp_path, "--json", "--store", str(store), env=env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["api_url"].startswith("http://127.0.0.1:")
        assert info["smtp_host"] == "127.0.0.1" and info["smtp_port"] > 0
        assert Path(info["ca_path"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert info["smtp_security"] == "starttls"
        response = requests.post(
            info["api_url"] + "/emails",
            json={"from": "s@example.com", "to": ["r@example.com"], "subject": "CLI",
                  "text": "x"},
            headers={"Authorization": f"Bearer {KEY}"}, timeout=10,
        )
        assert response.status_code == 200
        wrong = requests.get(info["api_url"] + "/auth/check",
                             headers={"Authorization": "Bearer lttr_other"}, timeout=10)
        assert wrong.status_code == 401  # only the key from the environment is accepted
        listing = requests.get(info["api_url"] + "/_dev/messages", timeout=10).json()
        assert listing["messages"][0]["subject"] == "CLI"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert KEY not in stderr
    assert store.exists()


def test_human_banner(tmp_path: Path) -> None:
    process = _start(tmp_path)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    text = "".join(lines)
    assert "API base URL : http://127.0.0.1:" in text
    assert "SMTP relay   : 127.0.0.1:" in text
    assert str(tmp_path / "ca.pem") in text
    assert process.returncode == 0


def test_bad_rate_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lettr_core.cli", "devserver", "--fail-rate", "2"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "--fail-rate" in result.stderr
