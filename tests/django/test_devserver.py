"""The Django backend against the project's dev server: real HTTP and SMTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import override_settings

from lettr_django.backend import EmailBackend

pytestmark = pytest.mark.integration


def lettr_settings(server: Any, key: str, **extra: Any) -> dict[str, Any]:
    return {"API_KEY": key, "API_URL": server.api_url, "RATE_LIMIT": 1000, **extra}


def test_send_mail_reaches_the_dev_server(devserver: Any, devserver_api_key: str) -> None:
    with override_settings(LETTR=lettr_settings(devserver, devserver_api_key)):
        message = EmailMessage(
            "Order 42", "Thanks", "Shop <shop@example.com>", ["ann@example.com"],
            headers={"X-Shop": "main", "X-Lettr-Tag": "orders"},
        )
        message.metadata = {"order": 42}  # type: ignore[attr-defined]
        assert EmailBackend().send_messages([message]) == 1
    [stored] = devserver.messages()
    assert stored["request_id"] == message.lettr_result.request_id
    assert (stored["from"], stored["from_name"]) == ("shop@example.com", "Shop")
    assert stored["tag"] == "orders" and stored["metadata"] == {"order": "42"}
    assert stored["headers"] == {"X-Shop": "main"}


def test_a_newsletter_is_coalesced_into_one_stored_request(
    devserver: Any, devserver_api_key: str
) -> None:
    readers = [f"reader{n}@example.com" for n in range(7)]
    messages = [EmailMessage("News", "Same", "news@example.com", [r]) for r in readers]
    with override_settings(LETTR=lettr_settings(devserver, devserver_api_key)):
        assert EmailBackend().send_messages(messages) == 7
    [stored] = devserver.messages()
    assert sorted(stored["to"]) == readers


def test_gradual_migration_splits_stably_between_the_doors(
    devserver_factory: Callable[..., Any], devserver_api_key: str
) -> None:
    """API_PERCENT=50: each recipient takes one door, the same one every time."""
    server = devserver_factory(tls=False)
    options = lettr_settings(
        server, devserver_api_key, API_PERCENT=50, SMTP_HOST=server.smtp_host,
        SMTP_PORT=server.smtp_port, SMTP_SECURITY="none", SMTP_TIMEOUT=10,
    )
    readers = [f"person{n}@example.com" for n in range(16)]
    with override_settings(LETTR=options):
        for _ in range(2):
            for reader in readers:
                mail.send_mail(f"Hello {reader}", "Body", "app@example.com", [reader])
    doors: dict[str, set[str]] = {}
    for stored in server.messages():
        for address in stored.get("to") or stored.get("envelope_to") or []:
            doors.setdefault(address, set()).add(stored["door"])
    assert set(doors) == set(readers)
    assert all(len(taken) == 1 for taken in doors.values())  # stable per recipient
    assert {door for taken in doors.values() for door in taken} == {"api", "smtp"}


def test_fallback_to_smtp_when_the_api_keeps_failing(
    devserver_factory: Callable[..., Any], devserver_api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lettr_core.timing

    monkeypatch.setattr(lettr_core.timing, "sleep", lambda seconds: None)  # no real backoff
    server = devserver_factory(tls=False, fail_rate=1.0, fail_status=503)
    options = lettr_settings(
        server, devserver_api_key, FALLBACK_TO_SMTP=True, MAX_RETRIES=1,
        SMTP_HOST=server.smtp_host, SMTP_PORT=server.smtp_port, SMTP_SECURITY="none",
        SMTP_TIMEOUT=10,
    )
    message = EmailMessage("Still delivered", "Body", "app@example.com", ["ann@example.com"])
    with override_settings(LETTR=options):
        assert EmailBackend().send_messages([message]) == 1
    assert message.lettr_result.transport == "smtp"
    assert message.lettr_result.fallback is True
    assert [m["door"] for m in server.messages()] == ["smtp"]
