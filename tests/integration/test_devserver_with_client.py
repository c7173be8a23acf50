"""The core API door against the dev server: the wire agrees, and a lost reply is sent once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lettr_core import Attachment, Email, LettrConfig
from lettr_core.api import ApiTransport
from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64


def transport(server: DevServer, sleep: Callable[[float], None]) -> ApiTransport:
    config = LettrConfig.from_mapping(
        {"API_KEY": KEY, "API_URL": server.api_url, "MAX_RETRIES": 3}, environ={}
    )
    return ApiTransport(config, sleep=sleep)


def email() -> Email:
    return Email(
        from_email="Shop <shop@example.com>", to=["ann@example.com"], cc=["bob@example.com"],
        subject="Order 42", text="Thanks", html="<p>Thanks</p>",
        attachments=[Attachment("invoice.txt", b"total: 42", "text/plain")],
        metadata={"order": 42}, tag="orders", headers={"X-Shop": "main"},
    )


def test_a_full_message_passes_validation_and_is_stored_as_sent(devserver: DevServer) -> None:
    with transport(devserver, lambda seconds: None) as api:
        result = api.send(email())
    [stored] = devserver.messages()
    assert result.request_id == stored["request_id"]
    assert result.accepted == 2
    assert (stored["from"], stored["from_name"]) == ("shop@example.com", "Shop")
    assert (stored["to"], stored["cc"]) == (["ann@example.com"], ["bob@example.com"])
    assert stored["metadata"] == {"order": "42"} and stored["tag"] == "orders"
    assert stored["headers"] == {"X-Shop": "main"}
    assert stored["attachments"] == [{"name": "invoice.txt", "type": "text/plain", "size": 9}]
    assert stored["idempotency_key"] == result.idempotency_key


def test_lost_reply_is_retried_with_the_same_key_and_stored_once(devserver_factory: Any) -> None:
    server = devserver_factory(lost_reply_rate=1.0)

    def heal_while_waiting(seconds: float) -> None:
        # the client backs off after the dropped answer: let its retry through
        server.configure(lost_reply_rate=0.0)

    with transport(server, heal_while_waiting) as api:
        result = api.send(email())
    assert server.stats["requests"] == 2
    assert server.stats["lost_reply"] == 1
    assert server.stats["idempotent_replays"] == 1
    [stored] = server.messages()
    assert stored["request_id"] == result.request_id
    assert stored["idempotency_key"] == result.idempotency_key
