"""The SQLite store keeps messages, attachments and idempotency answers across restarts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests

from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64
HEADERS = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "persisted-1"}
BODY = {
    "from": "s@example.com", "to": ["r@example.com"], "subject": "Kept", "html": "<p>kept</p>",
    "metadata": {"k": "v"}, "tag": "keep",
    "attachments": [{"name": "a.bin", "type": "application/octet-stream",
                     "data": base64.b64encode(b"\x00\x01binary").decode()}],
}


def test_sqlite_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "devserver.sqlite3")
    with DevServer(store=path) as server:
        first = requests.post(server.api_url + "/emails", json=BODY, headers=HEADERS, timeout=10)
        assert first.status_code == 200
        [before] = server.messages()
    with DevServer(store=path) as server:
        [after] = server.messages()
        assert after == before
        assert after["metadata"] == {"k": "v"} and after["tag"] == "keep"
        download = requests.get(
            f"{server.api_url}/_dev/messages/{after['id']}/attachments/0", timeout=10
        )
        assert download.content == b"\x00\x01binary"
        # the idempotency key survived the restart: same answer, nothing new stored
        again = requests.post(server.api_url + "/emails", json=BODY, headers=HEADERS, timeout=10)
        assert again.json() == first.json()
        assert len(server.messages()) == 1
        server.clear()
        assert server.messages() == []
    with DevServer(store=path) as server:
        assert server.messages() == []
