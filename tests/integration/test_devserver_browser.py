"""The inbox page in a real headless browser (Debian's chromium; .ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from lettr_core.devserver import DevServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]

KEY = "lttr_" + "0" * 64


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is not installed, and CI must not skip the browser test")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def test_inbox_shows_subject_and_request_id_in_a_browser(
    devserver: DevServer, tmp_path: Path
) -> None:
    browser = _chromium()
    response = requests.post(
        devserver.api_url + "/emails",
        json={"from": "s@example.com", "to": ["r@example.com"],
              "subject": "Browser check \u2713", "html": "<p>hello</p>"},
        headers={"Authorization": f"Bearer {KEY}"}, timeout=10,
    )
    request_id = response.json()["data"]["request_id"]
    result = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
            devserver.inbox_url,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "<table>" in dom
    assert "Browser check \u2713" in dom
    assert request_id in dom
