"""lettr_flask against the project's dev server: the real HTTP API and SMTP relay on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flaskhelpers import KEY, make_app

from lettr_core.devserver import DevServer
from lettr_flask import Mail, Message

pytestmark = pytest.mark.integration


def devserver_app(server: DevServer, monkeypatch: pytest.MonkeyPatch, **config: Any) -> Flask:
    """An app with a key, the API at the dev server, and MAIL_* at its SMTP relay."""
    assert server.ca_path is not None
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_path)  # trust the dev server's CA
    settings: dict[str, Any] = {
        "LETTR_API_KEY": KEY,
        "LETTR_API_URL": server.api_url,
        "MAIL_SERVER": server.smtp_host,
        "MAIL_PORT": server.smtp_port,
        "MAIL_USE_TLS": True,
        "MAIL_USERNAME": "lettr",
        "MAIL_PASSWORD": KEY,
        "LETTR_SMTP_LOCAL_HOSTNAME": "client.localhost",
    }
    settings.update(config)
    return make_app(**settings)


def test_a_flask_mail_message_through_the_api(
    devserver: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = devserver_app(devserver, monkeypatch)
    mail = Mail(app)
    with app.app_context():
        msg = Message("Order 42", recipients=["ann@example.com"], cc=["bob@example.com"],
                      sender=("Shop", "shop@example.com"), body="Thanks",
                      html='<p>Thanks</p><img src="cid:logo">', metadata={"order": 42},
                      tag="orders", extra_headers={"X-Shop": "main"})
        msg.attach("invoice.txt", "text/plain", b"total: 42")
        msg.attach("logo.png", "image/png", b"\x89PNG", "inline", {"Content-ID": "<logo>"})
        mail.send(msg)
    [stored] = devserver.messages()
    assert msg.lettr_result is not None
    assert stored["door"] == "api" and stored["request_id"] == msg.lettr_result.request_id
    assert (stored["from"], stored["from_name"]) == ("shop@example.com", "Shop")
    assert (stored["to"], stored["cc"]) == (["ann@example.com"], ["bob@example.com"])
    assert stored["metadata"] == {"order": "42"} and stored["tag"] == "orders"
    assert stored["headers"] == {"X-Shop": "main"}
    assert [a["name"] for a in stored["attachments"]] == ["invoice.txt", "logo"]


def test_migration_share_is_stable_per_recipient(
    devserver: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LETTR_API_PERCENT=50: each person keeps one door; both doors reach the same Lettr."""
    app = devserver_app(devserver, monkeypatch, LETTR_API_PERCENT=50)
    mail = Mail(app)
    people = [f"user{n}@example.com" for n in range(12)]
    doors: dict[str, set[str]] = {person: set() for person in people}
    with app.app_context(), mail.connect() as conn:
        for _ in range(2):
            for person in people:
                msg = Message("hello", recipients=[person], body="b")
                conn.send(msg)
                assert msg.lettr_result is not None
                doors[person].add(msg.lettr_result.transport)
    assert all(len(taken) == 1 for taken in doors.values())  # stable per person
    assert {door for taken in doors.values() for door in taken} == {"api", "smtp"}
    api_count = sum(1 for taken in doors.values() if taken == {"api"})
    assert len(devserver.messages("api")) == 2 * api_count
    assert len(devserver.messages("smtp")) == 2 * (len(people) - api_count)


def test_fallback_to_the_relay_when_the_api_fails(
    devserver_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = devserver_factory(fail_rate=1.0, fail_status=503)
    app = devserver_app(server, monkeypatch, LETTR_FALLBACK_TO_SMTP=True)
    mail = Mail(app)
    with app.app_context():
        msg = Message("important", recipients=["ann@example.com"], body="b")
        mail.send(msg)
    assert msg.lettr_result is not None and msg.lettr_result.fallback
    [stored] = server.messages()
    assert stored["door"] == "smtp" and stored["subject"] == "important"


def test_cli_check_and_send_test(devserver: DevServer, monkeypatch: pytest.MonkeyPatch) -> None:
    app = devserver_app(devserver, monkeypatch)
    Mail(app)
    runner = app.test_cli_runner()
    check = runner.invoke(args=["lettr", "check", "--smtp"])
    assert check.exit_code == 0, check.output
    assert "API key: valid" in check.output and "SMTP: connected" in check.output
    sent = runner.invoke(args=["lettr", "send-test", "ann@example.com", "--transport", "smtp"])
    assert sent.exit_code == 0, sent.output
    assert [m["door"] for m in devserver.messages()] == ["smtp"]
    assert KEY not in check.output + sent.output
