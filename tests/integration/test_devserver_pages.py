"""The inbox pages: listing, escaping, sandboxed HTML, downloads, and never the key."""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage

import pytest
import requests

from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64
EVIL = '<script>alert("x")</script>'


def send(server: DevServer, **fields: object) -> dict[str, object]:
    body = {"from": "s@example.com", "to": ["r@example.com"], "subject": "Plain",
            "text": "hello"}
    body.update(fields)
    response = requests.post(server.api_url + "/emails", json=body,
                             headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_inbox_lists_newest_first(devserver: DevServer) -> None:
    older = send(devserver, subject="Older")
    newer = send(devserver, subject="Newer")
    page = requests.get(devserver.inbox_url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = page.text
    assert text.index("Newer") < text.index("Older")
    assert str(newer["request_id"]) in text and str(older["request_id"]) in text
    assert "r@example.com" in text and "s@example.com" in text


def test_everything_is_escaped(devserver: DevServer) -> None:
    send(devserver, subject=EVIL, html=f"<p>hi</p>{EVIL}", text=EVIL,
         metadata={"k": EVIL}, attachments=[{"name": EVIL, "type": "text/plain",
                                             "data": base64.b64encode(b"x").decode()}])
    message_id = devserver.messages()[0]["id"]
    inbox = requests.get(devserver.inbox_url, timeout=10).text
    detail = requests.get(f"{devserver.api_url}/_dev/view/{message_id}", timeout=10).text
    for page in (inbox, detail):
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
    assert "<iframe sandbox=\"\"" in detail
    assert f"/_dev/messages/{message_id}/attachments/0" in detail


def test_html_body_is_served_in_a_csp_sandbox(devserver: DevServer) -> None:
    send(devserver, html=f"<p>hi</p>{EVIL}")
    message_id = devserver.messages()[0]["id"]
    body = requests.get(f"{devserver.api_url}/_dev/messages/{message_id}/html", timeout=10)
    assert body.headers["Content-Security-Policy"].startswith("sandbox")
    assert body.text == f"<p>hi</p>{EVIL}"


def test_attachment_download(devserver: DevServer) -> None:
    send(devserver, attachments=[{"name": "../../etc/passwd", "type": "text/plain",
                                  "data": base64.b64encode(b"content").decode()}])
    message_id = devserver.messages()[0]["id"]
    response = requests.get(f"{devserver.api_url}/_dev/messages/{message_id}/attachments/0",
                            timeout=10)
    assert response.content == b"content"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert "/" not in response.headers["Content-Disposition"].split("filename=")[1]
    missing = requests.get(f"{devserver.api_url}/_dev/messages/{message_id}/attachments/1",
                           timeout=10)
    assert missing.status_code == 404


def test_detail_of_unknown_message_is_404(devserver: DevServer) -> None:
    assert requests.get(f"{devserver.api_url}/_dev/view/999999", timeout=10).status_code == 404
    assert requests.get(f"{devserver.api_url}/_dev/view/abc", timeout=10).status_code == 404


def test_the_key_is_never_shown(devserver_factory: object) -> None:
    secret = "lttr_test_" + "9" * 20
    server: DevServer = devserver_factory(api_key=secret)  # type: ignore[operator]
    response = requests.post(
        server.api_url + "/emails",
        json={"from": "s@example.com", "to": ["r@example.com"], "subject": f"key {secret}",
              "text": f"the key is {secret}", "headers": {"X-Key": secret}},
        headers={"Authorization": f"Bearer {secret}"}, timeout=10,
    )
    assert response.status_code == 200
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", f"smtp {secret}"
    msg.set_content(f"body {secret}")
    assert server.ca_path is not None
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as client:
        client.starttls(context=ssl.create_default_context(cafile=server.ca_path))
        client.login("lettr", secret)
        client.send_message(msg)
    pages = [server.inbox_url, f"{server.api_url}/_dev/messages", f"{server.api_url}/_dev/stats"]
    for message in server.messages():
        pages += [f"{server.api_url}/_dev/view/{message['id']}",
                  f"{server.api_url}/_dev/messages/{message['id']}",
                  f"{server.api_url}/_dev/messages/{message['id']}/html"]
    for url in pages:
        text = requests.get(url, timeout=10).text
        assert secret not in text, url
    assert "lttr_****" in requests.get(server.inbox_url, timeout=10).text
    assert secret not in repr(server)
