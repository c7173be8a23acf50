"""The dev server's SMTP relay with smtplib: STARTTLS verified with the CA file, AUTH required."""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import pytest

from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64


def message(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Shop <shop@example.com>"
    msg["To"] = "ann@example.com"
    msg["Cc"] = "bob@example.com"
    msg["Subject"] = "Your order"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Thanks for your order.")
    msg.add_alternative("<p>Thanks for your <b>order</b>.</p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename="invoice.pdf")
    return msg


def tls_context(server: DevServer) -> ssl.SSLContext:
    assert server.ca_path is not None
    return ssl.create_default_context(cafile=server.ca_path)


def test_starttls_auth_and_parsed_message(devserver: DevServer) -> None:
    msg = message(**{"X-Lettr-Tag": "orders", "X-Lettr-Metadata": json.dumps({"order": "42"})})
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(devserver))
        client.login("lettr", KEY)
        refused = client.send_message(
            msg, to_addrs=["ann@example.com", "bob@example.com", "hidden@example.com"]
        )
    assert refused == {}
    [stored] = devserver.messages()
    assert stored["door"] == "smtp"
    assert stored["request_id"] is None
    assert stored["from"] == "shop@example.com" and stored["from_name"] == "Shop"
    assert stored["to"] == ["ann@example.com"]
    assert stored["cc"] == ["bob@example.com"]
    assert stored["bcc"] == ["hidden@example.com"]
    assert stored["subject"] == "Your order"
    assert stored["text"].strip() == "Thanks for your order."
    assert "<b>order</b>" in stored["html"]
    assert stored["attachments"][0]["name"] == "invoice.pdf"
    assert stored["attachments"][0]["type"] == "application/pdf"
    assert stored["attachments"][0]["size"] == len(b"%PDF-1.4 fake")
    assert stored["tag"] == "orders"
    assert stored["metadata"] == {"order": "42"}
    assert stored["headers"]["Subject"] == "Your order"
    assert "Content-Type: multipart/mixed" in stored["raw"]
    assert devserver.stats["smtp_messages"] == 1


def test_certificate_is_verified_against_the_ca_file(devserver: DevServer) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client, \
            pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=ssl.create_default_context())  # system CAs only


@pytest.mark.parametrize(("user", "password"), [("lettr", "wrong"), ("api", KEY), ("lettr", "")])
def test_bad_credentials_are_535(devserver: DevServer, user: str, password: str) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(devserver))
        with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
            client.login(user, password)
    assert caught.value.smtp_code == 535
    assert devserver.stats["smtp_auth_failures"] >= 1


def test_auth_login_mechanism(devserver: DevServer) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(devserver))
        client.ehlo()
        client.user, client.password = "lettr", KEY
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
    assert code == 235


def test_mail_without_auth_is_refused(devserver: DevServer) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(devserver))
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.send_message(message())
    assert devserver.messages() == []


def test_auth_before_starttls_is_refused(devserver: DevServer) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        code, _ = client.docmd("AUTH", "PLAIN AGxldHRyAGxldHRy")
    assert code == 530


def test_bad_metadata_header_is_a_warning_not_a_failure(devserver: DevServer) -> None:
    with smtplib.SMTP(devserver.smtp_host, devserver.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(devserver))
        client.login("lettr", KEY)
        client.send_message(message(**{"X-Lettr-Metadata": "not json"}))
    [stored] = devserver.messages()
    assert stored["metadata"] is None
    assert stored["warnings"]


def test_implicit_tls(devserver_factory: Any) -> None:
    server = devserver_factory(implicit_tls=True)
    with smtplib.SMTP_SSL(server.smtp_host, server.smtp_port, timeout=10,
                          context=tls_context(server)) as client:
        client.login("lettr", KEY)
        client.send_message(message())
    assert server.messages()[0]["subject"] == "Your order"


def test_plaintext_relay_when_tls_is_off(devserver_factory: Any) -> None:
    server = devserver_factory(tls=False)
    assert server.ca_path is None
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as client:
        client.login("lettr", KEY)
        client.send_message(message())
    assert len(server.messages()) == 1


def test_ca_file_is_written_where_asked_and_kept(devserver_factory: Any, tmp_path: Any) -> None:
    path = tmp_path / "ca.pem"
    server = devserver_factory(ca_path=str(path))
    assert server.ca_path == str(path)
    assert path.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_smtp_fail_rate_answers_451_and_stores_nothing(devserver_factory: Any) -> None:
    server = devserver_factory(smtp_fail_rate=1.0)
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as client:
        client.starttls(context=tls_context(server))
        client.login("lettr", KEY)
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.send_message(message())
    assert caught.value.smtp_code == 451
    assert server.messages() == []
    assert server.stats["smtp_failed"] == 1
