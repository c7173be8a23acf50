"""Sending through Lettr's API (``responses`` stands in for Lettr), Flask-Mail style."""

from __future__ import annotations

import base64
import json
import smtplib
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import flask_mail
import pytest
import responses
from flask import Flask, current_app
from flaskhelpers import API, KEY, OTHER_KEY, make_app

from lettr_core import UnsupportedFeature, ValidationError
from lettr_core.errors import AuthenticationError
from lettr_flask import Attachment, BadHeaderError, Mail, Message, email_dispatched


def test_send_posts_one_request_and_stores_the_result(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        msg = Message(
            "Hello", recipients=["to@example.com", ("Bea", "bea@example.com")],
            body="text", html="<p>html</p>", sender=("Ann Sender", "ann@example.com"),
            cc=["cc@example.com"], bcc=["bcc@example.com"], reply_to="Rae <rae@example.com>",
            extra_headers={"X-Campaign": "spring"},
        )
        mail.send(msg)
    (body,) = fake_api.bodies
    assert body == {
        "from": "ann@example.com", "from_name": "Ann Sender",
        "to": ["to@example.com", "bea@example.com"], "cc": ["cc@example.com"],
        "bcc": ["bcc@example.com"], "reply_to": "rae@example.com", "reply_to_name": "Rae",
        "subject": "Hello", "text": "text", "html": "<p>html</p>",
        "headers": {"X-Campaign": "spring"},
    }
    assert fake_api.headers()["Authorization"] == f"Bearer {KEY}"
    assert msg.lettr_result is not None
    assert msg.lettr_result.transport == "api"
    assert msg.lettr_result.request_id == "1001"
    assert msg.lettr_result.accepted == 4


def test_default_sender_and_send_message(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        mail.send_message("Hi", recipients=["a@example.com"], body="b")
    assert fake_api.bodies[0]["from"] == "app@example.com"


def test_mail_with_app_sends_outside_an_app_context(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    msg = Message("Hi", recipients=["a@example.com"], body="b")  # no context: sender later
    mail.send(msg)
    assert fake_api.bodies[0]["from"] == "app@example.com"
    assert msg.sender == "app@example.com"


def test_bulk_with_one_connection(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context(), mail.connect() as conn:
        for number in range(3):
            msg = Message(f"n{number}", recipients=[f"u{number}@example.com"], body="b")
            conn.send(msg)
        conn.send_message("last", recipients=["z@example.com"], body="b")
        Message("via message", recipients=["y@example.com"], body="b").send(conn)
    assert [b["subject"] for b in fake_api.bodies] == ["n0", "n1", "n2", "last", "via message"]
    assert conn.host is None  # the API has no SMTP session


def test_connection_used_without_with_still_sends(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        conn = mail.connect()
        conn.send(Message("x", recipients=["a@example.com"], body="b"))
        conn.close()
    assert len(fake_api.bodies) == 1


def test_lettr_extras_reach_the_payload(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        msg = Message(
            "x", ["a@example.com"], body="b", template_id="welcome", template_version=2,
            project_id=7, merge_global_data={"name": "Ann", "n": 3}, metadata={"user": 42},
            tags=["signup"], track_opens=True, track_clicks=False, transactional=True,
            inline_css=True, amp_html="<html amp4email></html>", idempotency_key="order-1",
        )
        mail.send(msg)
    body = fake_api.bodies[0]
    assert body["template_slug"] == "welcome"
    assert body["template_version"] == 2 and body["project_id"] == 7
    assert body["substitution_data"] == {"name": "Ann", "n": "3"}
    assert body["metadata"] == {"user": "42"}
    assert body["tag"] == "signup"
    assert body["options"] == {"open_tracking": True, "click_tracking": False,
                               "transactional": True, "inline_css": True}
    assert body["amp_html"] == "<html amp4email></html>"
    assert fake_api.headers()["Idempotency-Key"] == "order-1"


def test_send_at_schedules(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    when = datetime.now(timezone.utc) + timedelta(hours=2)
    with api_app.app_context():
        msg = Message("later", ["a@example.com"], body="b", send_at=when)
        mail.send(msg)
    assert fake_api.calls[0].request.url == f"{API}/emails/scheduled"
    assert fake_api.bodies[0]["scheduled_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert msg.lettr_result is not None and msg.lettr_result.scheduled


def test_attachments_and_inline_images(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        msg = Message("x", ["a@example.com"], html='<img src="cid:logo">')
        msg.attach("report.pdf", "application/pdf", b"%PDF-1.4")
        msg.attach("logo.png", "image/png", b"\x89PNG", "inline", {"Content-ID": "<logo>"})
        msg.attach("notes.txt", data="héllo")
        mail.send(msg)
    attachments = fake_api.bodies[0]["attachments"]
    assert [(a["name"], a["type"]) for a in attachments] == [
        ("report.pdf", "application/pdf"), ("logo", "image/png"), ("notes.txt", "text/plain")]
    assert base64.b64decode(attachments[0]["data"]) == b"%PDF-1.4"
    assert base64.b64decode(attachments[2]["data"]) == "héllo".encode()


def test_ascii_attachments_apply_to_the_api_too(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LETTR_API_KEY=KEY, MAIL_ASCII_ATTACHMENTS=True)
    mail = Mail(app)
    with app.app_context():
        msg = Message("x", ["a@example.com"], body="b")
        msg.attach("Résumé  2024.pdf", data=b"%PDF")
        mail.send(msg)
    assert fake_api.bodies[0]["attachments"][0]["name"] == "Resume 2024.pdf"


def test_unicode_reaches_the_api_intact(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        mail.send(Message("Grüße ✓", [("Zoë", "zoe@exämple.com")], body="Tschüß",
                          sender=("Jörg Ä", "jorg@example.com")))
    body = fake_api.bodies[0]
    assert body["subject"] == "Grüße ✓" and body["text"] == "Tschüß"
    assert body["from_name"] == "Jörg Ä"
    assert body["to"] == ["zoe@xn--exmple-cua.com"]
    assert "Grüße".encode() in fake_api.calls[0].request.body


def test_folded_subject_is_unfolded(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        mail.send(Message("long\r\n subject", ["a@example.com"], body="b"))
    assert fake_api.bodies[0]["subject"] == "long subject"


def test_send_defaults_apply(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LETTR_API_KEY=KEY, LETTR_SEND_DEFAULTS={"tag": "flask", "metadata": {"a": "1"}})
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("x", ["a@example.com"], body="b", metadata={"b": "2"}))
    assert fake_api.bodies[0]["tag"] == "flask"
    assert fake_api.bodies[0]["metadata"] == {"a": "1", "b": "2"}


def test_suppressed_sending_fires_the_signal_and_sends_nothing(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LETTR_API_KEY=KEY)
    app.testing = True  # MAIL_SUPPRESS_SEND defaults to app.testing
    mail = Mail(app)
    with app.app_context(), mail.record_messages() as outbox:
        msg = Message("testing", recipients=["a@example.com"], body="b")
        mail.send(msg)
        mail.send_message("second", recipients=["b@example.com"], body="b")
    assert [m.subject for m in outbox] == ["testing", "second"]
    assert outbox[0] is msg
    assert fake_api.calls == []
    assert msg.lettr_result is None
    assert msg.date is not None  # set at dispatch, as in Flask-Mail


def test_suppressed_sending_does_not_validate_beyond_flask_mail(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(MAIL_SUPPRESS_SEND=True)
    mail = Mail(app)
    with app.app_context(), mail.record_messages() as outbox:
        mail.send(Message("x", recipients=["not-an-address"], body="b"))
    assert len(outbox) == 1


def test_record_messages_on_the_state_and_with_real_sends(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    state = api_app.extensions["mail"]
    with api_app.app_context(), state.record_messages() as outbox, mail.connect() as conn:
        for number in range(3):
            conn.send(Message(f"m{number}", ["a@example.com"], body="b"))
    assert [m.subject for m in outbox] == ["m0", "m1", "m2"]
    assert all(m.lettr_result.request_id for m in outbox)


def test_signal_sender_is_the_app_and_carries_the_message(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[Any, Any]] = []

    def receiver(sender: Any, message: Any) -> None:
        seen.append((sender, message))

    msg = Message("x", ["a@example.com"], body="b")
    with email_dispatched.connected_to(receiver), api_app.app_context():
        mail.send(msg)
    assert seen == [(api_app, msg)]


def test_bad_headers_raise_before_any_request(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context(), mail.record_messages() as outbox:
        with pytest.raises(BadHeaderError):
            mail.send(Message("Hi\nBcc: x@example.com", ["a@example.com"], body="b"))
        with pytest.raises(BadHeaderError):
            mail.send(Message("Hi", ["a@example.com\r\n"], body="b"))
    assert fake_api.calls == [] and outbox == []


def test_no_recipients_and_no_sender_are_assertion_errors(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LETTR_API_KEY=KEY, MAIL_DEFAULT_SENDER=None)
    mail = Mail(app)
    with app.app_context():
        with pytest.raises(AssertionError, match="No recipients"):
            mail.send(Message("x", sender="a@example.com", body="b"))
        with pytest.raises(AssertionError, match="sender"):
            mail.send(Message("x", recipients=["a@example.com"], body="b"))
    assert fake_api.calls == []


def test_max_emails_counts_and_resets(fake_api) -> None:  # type: ignore[no-untyped-def]
    app = make_app(LETTR_API_KEY=KEY, MAIL_MAX_EMAILS=2)
    mail = Mail(app)
    counts = []
    with app.app_context(), mail.connect() as conn:
        for number in range(5):
            conn.send(Message(f"m{number}", ["a@example.com"], body="b"))
            counts.append(conn.num_emails)
    assert counts == [1, 0, 1, 0, 1]
    assert len(fake_api.bodies) == 5


def test_api_errors_are_smtp_exceptions_and_skip_the_signal(api_app, mail) -> None:  # type: ignore[no-untyped-def]
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails", status=401,
                 json={"message": "Unauthenticated."})
        with api_app.app_context(), mail.record_messages() as outbox:
            msg = Message("x", ["a@example.com"], body="b")
            with pytest.raises(smtplib.SMTPAuthenticationError) as info:
                mail.send(msg)
    assert isinstance(info.value, AuthenticationError)
    assert isinstance(info.value, smtplib.SMTPException)
    assert KEY not in str(info.value)
    assert outbox == [] and msg.lettr_result is None


def test_validation_errors_come_before_io(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        with pytest.raises(ValidationError):
            mail.send(Message("x", ["not-an-address"], body="b"))
        with pytest.raises(ValidationError, match="one tag"):
            mail.send(Message("x", ["a@example.com"], body="b", tags=["a", "b"]))
        with pytest.raises(UnsupportedFeature, match="markdown"):
            mail.send(Message("x", ["a@example.com"], body="b", alts={"markdown": "*hi*"}))
    assert fake_api.calls == []


def test_template_without_key_is_unsupported_not_silently_dropped() -> None:
    app = make_app()  # no key: Flask-Mail over SMTP
    mail = Mail(app)
    with app.app_context(), pytest.raises(UnsupportedFeature, match="API"):
        mail.send(Message("x", ["a@example.com"], template_id="welcome"))


def test_extension_style_caller(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    """Extensions reach the state through ``current_app.extensions["mail"]``."""

    @api_app.post("/reset")
    def reset() -> str:
        message = Message("Reset your password", recipients=["user@example.com"], body="b")
        current_app.extensions["mail"].send(message)
        return message.lettr_result.request_id  # type: ignore[union-attr]

    response = api_app.test_client().post("/reset")
    assert response.status_code == 200 and response.text == "1001"
    assert fake_api.bodies[0]["subject"] == "Reset your password"


def test_a_flask_mail_message_through_our_mail(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context(), mail.record_messages() as outbox:
        theirs = flask_mail.Message(
            "From Flask-Mail", recipients=["a@example.com"], body="text", html="<p>h</p>",
            cc=["c@example.com"], reply_to="r@example.com", extra_headers={"X-A": "1"},
        )
        theirs.attach("a.txt", "text/plain", b"data", "inline", {"Content-ID": "<a1>"})
        mail.send(theirs)
        current_app.extensions["mail"].send(theirs)
    body = fake_api.bodies[0]
    assert body["from"] == "app@example.com"  # flask_mail read our state's default sender
    assert body["to"] == ["a@example.com"] and body["cc"] == ["c@example.com"]
    assert body["html"] == "<p>h</p>" and body["text"] == "text"
    assert body["headers"] == {"X-A": "1"} and body["reply_to"] == "r@example.com"
    assert body["attachments"][0]["name"] == "a1"
    assert outbox == [theirs, theirs]
    assert theirs.lettr_result.transport == "api"  # type: ignore[attr-defined]


def test_flask_mail_message_with_bad_headers_is_refused(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        theirs = flask_mail.Message("a\nb", recipients=["a@example.com"], body="x")
        with pytest.raises(BadHeaderError):
            mail.send(theirs)
    assert fake_api.calls == []


def test_several_apps_send_with_their_own_keys(fake_api) -> None:  # type: ignore[no-untyped-def]
    mail = Mail()
    one = make_app("one", LETTR_API_KEY=KEY)
    two = make_app("two", LETTR_API_KEY=OTHER_KEY)
    mail.init_app(one)
    mail.init_app(two)
    for app in (one, two, one):
        with app.app_context():
            mail.send(Message("x", ["a@example.com"], body="b"))
    keys = [fake_api.headers(i)["Authorization"] for i in range(3)]
    assert keys == [f"Bearer {KEY}", f"Bearer {OTHER_KEY}", f"Bearer {KEY}"]


def test_threads_share_one_app_state(api_app: Flask, mail: Mail, fake_api: Any) -> None:
    errors: list[BaseException] = []
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def worker(number: int) -> None:
        try:
            with api_app.app_context():
                barrier.wait()
                msg = Message(f"t{number}", [f"u{number}@example.com"], body="b")
                mail.send(msg)
                results.append(msg.lettr_result)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 8 and len({r.request_id for r in results}) == 8
    assert sorted(b["subject"] for b in fake_api.bodies) == [f"t{n}" for n in range(8)]
    assert json.dumps(fake_api.bodies)  # every body was valid JSON


def test_attachment_objects_in_the_constructor(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        mail.send(Message("x", ["a@example.com"], body="b",
                          attachments=[Attachment("a.csv", data="x,y")]))
    assert fake_api.bodies[0]["attachments"][0]["type"] == "text/csv"


def test_an_assigned_host_gets_flask_mails_sendmail_call(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    """Tests written for Flask-Mail patch ``conn.host`` with a mock and inspect sendmail."""
    from unittest import mock

    with api_app.app_context(), mail.connect() as conn, mock.patch.object(conn, "host") as host:
        msg = Message("x", sender="from@example.com", recipients=["Zoë <to@example.com>"],
                      body="b", mail_options=["SMTPUTF8"], rcpt_options=["NOTIFY=NEVER"])
        conn.send(msg, envelope_from="bounce@example.com")
        host.sendmail.assert_called_once_with(
            "bounce@example.com", ["=?utf-8?q?Zo=C3=AB?= <to@example.com>"], msg.as_bytes(),
            ["SMTPUTF8"], ["NOTIFY=NEVER"],
        )
    assert fake_api.calls == []
    assert conn.host is None  # the patch is gone: back to Lettr


class _Lazy:
    """A lazy translation string stand-in (flask-babel's ``lazy_gettext`` returns one)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def test_lazy_strings_are_forced(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        mail.send(Message(_Lazy("Willkommen"), ["a@example.com"], body=_Lazy("Hallo"),  # type: ignore[arg-type]
                          html=_Lazy("<p>Hallo</p>")))  # type: ignore[arg-type]
    body = fake_api.bodies[0]
    assert (body["subject"], body["text"], body["html"]) == ("Willkommen", "Hallo", "<p>Hallo</p>")


def test_a_retried_send_keeps_its_idempotency_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import lettr_core.timing

    waits: list[float] = []
    monkeypatch.setattr(lettr_core.timing, "sleep", waits.append)
    app = make_app(LETTR_API_KEY=KEY, LETTR_MAX_RETRIES=2)
    mail = Mail(app)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails", status=503, json={"message": "down"})
        rsps.add(responses.POST, f"{API}/emails",
                 json={"message": "ok", "data": {"request_id": "9", "accepted": 1,
                                                 "rejected": 0}})
        with app.app_context():
            msg = Message("x", ["a@example.com"], body="b")
            mail.send(msg)
        keys = [call.request.headers["Idempotency-Key"] for call in rsps.calls]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert msg.lettr_result is not None and msg.lettr_result.request_id == "9"
    assert waits and max(waits) < 5  # the backoff went through the replaced sleep


def test_an_empty_subject_is_a_named_error_before_any_request(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context(), pytest.raises(ValidationError, match="subject"):
        mail.send(Message(recipients=["a@example.com"], body="b"))  # Flask-Mail's default ""
    assert fake_api.calls == []


def test_unnamed_attachments_get_a_name(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    with api_app.app_context():
        msg = Message("x", ["a@example.com"], body="b")
        msg.attach(data=b"this is a test", content_type="text/plain")  # Flask-Mail allows it
        msg.attach(data=b"\x00\x01")
        mail.send(msg)
    names = [a["name"] for a in fake_api.bodies[0]["attachments"]]
    assert names == ["attachment1.txt", "attachment2.bin"]


def test_state_and_mail_share_the_sending_methods(api_app, mail, fake_api) -> None:  # type: ignore[no-untyped-def]
    state = api_app.extensions["mail"]
    for owner in (mail, state):
        for name in ("send", "send_message", "connect", "record_messages"):
            assert callable(getattr(owner, name)), (owner, name)
    with api_app.app_context(), state.record_messages() as outbox:
        state.send_message("from the state", recipients=["a@example.com"], body="b")
        with state.connect() as conn:
            conn.send_message("on its connection", recipients=["b@example.com"], body="b")
    assert [m.subject for m in outbox] == ["from the state", "on its connection"]
    assert [b["subject"] for b in fake_api.bodies] == ["from the state", "on its connection"]
