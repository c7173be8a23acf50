"""Flask-Mail behaviours over real SMTP: aiosmtpd on 127.0.0.1 with TLS made by trustme."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import flask_mail
import pytest
import responses
from flask import Flask, current_app
from flaskhelpers import API, KEY, make_app

from lettr_core import AuthenticationError, TransportError, UnsupportedFeature
from lettr_flask import Mail, Message, email_dispatched
from tests.smtp_server import TEST_KEY, SmtpTestServer

pytestmark = pytest.mark.integration


def smtp_app(server: SmtpTestServer, **config: Any) -> Flask:
    """An app whose MAIL_* settings point at ``server`` (Flask-Mail style)."""
    settings: dict[str, Any] = {
        "MAIL_SERVER": server.host,
        "MAIL_PORT": server.port,
        "MAIL_USE_TLS": server.tls == "starttls",
        "MAIL_USE_SSL": server.tls == "ssl",
        "MAIL_USERNAME": server.user,
        "MAIL_PASSWORD": server.password,
        "LETTR_SMTP_TIMEOUT": 10,
        "LETTR_SMTP_LOCAL_HOSTNAME": "client.localhost",
    }
    settings.update(config)
    return make_app(**settings)


def test_a_full_message_over_starttls(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    mail = Mail(app)
    assert mail.state is not None and mail.state.lettr_config.transport == "smtp"
    with app.app_context():
        msg = Message(
            "Grüße", recipients=["to@example.com"], body="Tschüß", html="<p>Hallo</p>",
            sender=("Jörg", "jorg@example.com"), cc=["cc@example.com"],
            bcc=["hidden@example.com"], reply_to="reply@example.com",
            extra_headers={"X-Campaign": "spring"}, metadata={"user": 7}, tag="welcome",
        )
        msg.attach("report.pdf", "application/pdf", b"%PDF-1.4")
        mail.send(msg)
    (got,) = smtp_server.received
    assert got.mail_from == "jorg@example.com"
    assert sorted(got.rcpt_tos) == ["cc@example.com", "hidden@example.com", "to@example.com"]
    parsed = got.message
    assert parsed["Subject"] == "Grüße"
    assert str(parsed["From"]) == "Jörg <jorg@example.com>"
    assert parsed["Bcc"] is None and "hidden@example.com" not in got.data.decode()
    assert parsed["Reply-To"] == "reply@example.com"
    assert parsed["X-Campaign"] == "spring"
    assert parsed["Message-ID"] == msg.msgId  # Flask-Mail's id is the one on the wire
    assert json.loads(parsed["X-Lettr-Metadata"]) == {"user": "7"}
    assert parsed["X-Lettr-Tag"] == "welcome"
    assert parsed.get_body(("plain",)).get_content().strip() == "Tschüß"  # type: ignore[union-attr]
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hallo</p>"  # type: ignore[union-attr]
    (att,) = list(parsed.iter_attachments())
    assert att.get_filename() == "report.pdf" and att.get_content() == b"%PDF-1.4"
    assert smtp_server.logins == [(smtp_server.user, True)]
    assert msg.lettr_result is not None and msg.lettr_result.transport == "smtp"
    assert msg.lettr_result.accepted == 3


def test_implicit_tls(smtps_server: SmtpTestServer) -> None:
    app = smtp_app(smtps_server)
    mail = Mail(app)
    with app.app_context():
        mail.send_message("over ssl", recipients=["a@example.com"], body="b")
    assert [r.message["Subject"] for r in smtps_server.received] == ["over ssl"]
    assert mail.state is not None and mail.state.lettr_config.smtp_security == "ssl"


def test_connection_host_is_the_live_smtplib_session(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    mail = Mail(app)
    with app.app_context():
        with mail.connect() as conn:
            assert isinstance(conn.host, smtplib.SMTP)
            assert conn.host.noop()[0] == 250
            for number in range(3):
                conn.send(Message(f"m{number}", ["a@example.com"], body="b"))
        assert conn.host is None
    assert smtp_server.connections == 1
    assert len(smtp_server.received) == 3


def test_max_emails_reconnects(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server, MAIL_MAX_EMAILS=2)
    mail = Mail(app)
    hosts = []
    with app.app_context(), mail.connect() as conn:
        for number in range(5):
            conn.send(Message(f"m{number}", ["a@example.com"], body="b"))
            hosts.append(conn.host)  # kept alive, so identity is meaningful
    assert len(smtp_server.received) == 5
    assert smtp_server.connections == 3  # 2 + 2 + 1 messages
    assert hosts[0] is not hosts[1] and hosts[1] is hosts[2] and hosts[2] is not hosts[3]


def test_suppressed_sending_connects_to_nothing(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    app.testing = True
    mail = Mail(app)
    with app.app_context(), mail.record_messages() as outbox:
        with mail.connect() as conn:
            assert conn.host is None
            conn.send(Message("quiet", ["a@example.com"], body="b"))
        mail.send_message("quiet too", recipients=["b@example.com"], body="b")
    assert [m.subject for m in outbox] == ["quiet", "quiet too"]
    assert smtp_server.connections == 0 and smtp_server.received == []


def test_record_messages_and_signal_with_real_sends(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    mail = Mail(app)
    senders: list[Any] = []

    def receiver(sender: Any, message: Any) -> None:
        senders.append(sender)

    with email_dispatched.connected_to(receiver), app.app_context(), \
            mail.record_messages() as outbox:
        mail.send(Message("one", ["a@example.com"], body="b"))
        current_app.extensions["mail"].send(Message("two", ["b@example.com"], body="b"))
    assert [m.subject for m in outbox] == ["one", "two"]
    assert senders == [app, app]
    assert len(smtp_server.received) == 2


def test_a_flask_mail_message_over_smtp(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    mail = Mail(app)
    with app.app_context():
        theirs = flask_mail.Message("legacy", recipients=["a@example.com"], body="b",
                                    bcc=["hidden@example.com"])
        mail.send(theirs)
    (got,) = smtp_server.received
    assert sorted(got.rcpt_tos) == ["a@example.com", "hidden@example.com"]
    assert got.message["Message-ID"] == theirs.msgId
    assert theirs.lettr_result.transport == "smtp"  # type: ignore[attr-defined]


def test_refused_login_is_an_smtp_authentication_error(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server, MAIL_PASSWORD="wrong-password")
    mail = Mail(app)
    with app.app_context(), pytest.raises(smtplib.SMTPAuthenticationError) as info:
        mail.send(Message("x", ["a@example.com"], body="b"))
    assert isinstance(info.value, AuthenticationError)
    assert "wrong-password" not in str(info.value)
    with app.app_context(), pytest.raises(AuthenticationError), mail.connect():
        pass  # `with mail.connect()` logs in on entry, as Flask-Mail does


def test_refused_recipient(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.rcpt_replies["nobody@example.com"] = "550 5.1.1 no such user"
    app = smtp_app(smtp_server)
    mail = Mail(app)
    with app.app_context():
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            mail.send(Message("x", ["nobody@example.com"], body="b"))
        msg = Message("x", ["nobody@example.com", "a@example.com"], body="b")
        mail.send(msg)
    assert msg.lettr_result is not None
    assert (msg.lettr_result.accepted, msg.lettr_result.rejected) == (1, 1)


def test_an_untrusted_certificate_is_refused(smtp_server_factory: Any) -> None:
    server = smtp_server_factory("starttls")  # CA not trusted: no trust_smtp_ca fixture
    app = smtp_app(server)
    mail = Mail(app)
    with app.app_context(), pytest.raises(TransportError):
        mail.send(Message("x", ["a@example.com"], body="b"))
    assert server.received == []


def test_flask_mail_defaults_to_a_plaintext_loopback_server(smtp_server_factory: Any) -> None:
    server = smtp_server_factory("none", auth=False)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                   LETTR_SMTP_LOCAL_HOSTNAME="client.localhost")
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("plain", ["a@example.com"], body="b"))
    assert [r.message["Subject"] for r in server.received] == ["plain"]


def test_mail_debug_shows_the_dialogue_but_not_the_login(
    smtp_server: SmtpTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = smtp_app(smtp_server, MAIL_DEBUG=1)
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("x", ["a@example.com"], body="b"))
    err = capsys.readouterr().err
    assert "rcpt" in err.lower()
    assert "auth" not in err.lower() and TEST_KEY not in err


def test_api_and_smtp_side_by_side(smtp_server: SmtpTestServer) -> None:
    """With a key and API_PERCENT=0, plain mail keeps SMTP and templates take the API."""
    app = smtp_app(smtp_server, LETTR_API_KEY=KEY, LETTR_API_PERCENT=0)
    mail = Mail(app)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails",
                 json={"message": "ok", "data": {"request_id": "5", "accepted": 1,
                                                 "rejected": 0}})
        with app.app_context():
            plain = Message("plain", ["a@example.com"], body="b")
            templated = Message("t", ["a@example.com"], template_id="welcome")
            pinned = Message("pinned", ["a@example.com"], body="b", lettr_transport="api")
            for msg in (plain, templated, pinned):
                mail.send(msg)
        api_subjects = [json.loads(c.request.body)["subject"] for c in rsps.calls]
    assert [r.message["Subject"] for r in smtp_server.received] == ["plain"]
    assert api_subjects == ["t", "pinned"]
    assert [m.lettr_result.transport for m in (plain, templated, pinned)] == [  # type: ignore[union-attr]
        "smtp", "api", "api"]


def test_fallback_to_smtp_when_the_api_fails(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server, LETTR_API_KEY=KEY, LETTR_FALLBACK_TO_SMTP=True)
    mail = Mail(app)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails", status=503, json={"message": "down"})
        with app.app_context():
            msg = Message("important", ["a@example.com"], body="b")
            mail.send(msg)
    assert [r.message["Subject"] for r in smtp_server.received] == ["important"]
    assert msg.lettr_result is not None
    assert msg.lettr_result.transport == "smtp" and msg.lettr_result.fallback


def test_template_without_a_key_fails_before_connecting(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    mail = Mail(app)
    with app.app_context(), pytest.raises(UnsupportedFeature):
        mail.send(Message("x", ["a@example.com"], template_id="welcome"))
    assert smtp_server.connections == 0


def test_cli_check_and_send_test_over_smtp(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server)
    Mail(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lettr", "check"])
    assert result.exit_code == 0, result.output
    assert f"SMTP: connected to 127.0.0.1:{smtp_server.port}" in result.output
    result = runner.invoke(args=["lettr", "send-test", "to@example.com"])
    assert result.exit_code == 0, result.output
    assert "sent via smtp" in result.output
    assert smtp_server.received[-1].rcpt_tos == ["to@example.com"]


def test_cli_check_reports_a_refused_smtp_login(smtp_server: SmtpTestServer) -> None:
    app = smtp_app(smtp_server, MAIL_PASSWORD="nope")
    Mail(app)
    result = app.test_cli_runner().invoke(args=["lettr", "check"])
    assert result.exit_code == 1
    assert "SMTP check failed" in result.output


def test_envelope_from_is_the_smtp_mail_from(smtp_server: SmtpTestServer) -> None:
    """Flask-Mail's ``Connection.send(message, envelope_from)`` sets MAIL FROM, not From."""
    app = smtp_app(smtp_server)
    mail = Mail(app)
    with app.app_context(), mail.connect() as conn:
        conn.send(Message("x", sender="app@example.com", recipients=["to@example.com"],
                          body="b"), envelope_from="bounces@example.com")
    (got,) = smtp_server.received
    assert got.mail_from == "bounces@example.com"
    assert str(got.message["From"]) == "app@example.com"
