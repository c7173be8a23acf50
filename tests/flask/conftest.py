"""Fixtures for the Flask adapter: app factories, a fake Lettr API (``responses``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from flaskhelpers import API, KEY, make_app

from lettr_flask import Mail


@pytest.fixture
def api_app() -> Flask:
    """An app that sends through the API (a key, sending not suppressed)."""
    return make_app(LETTR_API_KEY=KEY)


@pytest.fixture
def mail(api_app: Flask) -> Mail:
    return Mail(api_app)


class FakeApi:
    """``responses`` standing in for Lettr: records each POST /emails body."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        self.counter = 0
        rsps.add_callback(responses.POST, f"{API}/emails", callback=self._ok)
        rsps.add_callback(responses.POST, f"{API}/emails/scheduled", callback=self._ok)

    def _ok(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.counter += 1
        body = json.loads(request.body)
        recipients = len(body["to"]) + len(body.get("cc", [])) + len(body.get("bcc", []))
        data = {"request_id": f"{1000 + self.counter}", "accepted": recipients, "rejected": 0}
        status = 201 if request.url.endswith("/scheduled") else 200
        return status, {}, json.dumps({"message": "Email queued", "data": data})

    @property
    def calls(self) -> list[Any]:
        return [c for c in self.rsps.calls if c.request.url.startswith(f"{API}/emails")]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(call.request.body) for call in self.calls]

    def headers(self, index: int = -1) -> Any:
        return self.calls[index].request.headers


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeApi(rsps)
