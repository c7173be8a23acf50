"""Message building, headers, attachments, unicode and bad headers, as Flask-Mail does them."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timezone

import flask_mail
import pytest
from flaskhelpers import make_app

from lettr_flask import (
    Attachment,
    Mail,
    Message,
    force_text,
    sanitize_address,
    sanitize_addresses,
    sanitize_subject,
)


@pytest.fixture
def app_ctx():  # type: ignore[no-untyped-def]
    app = make_app(MAIL_DEFAULT_SENDER="Default <default@example.com>")
    Mail(app)
    with app.app_context():
        yield app


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _shape(part: email.message.Message) -> object:
    if part.is_multipart():
        return (part.get_content_type(), [_shape(p) for p in part.get_payload()])  # type: ignore[union-attr]
    return part.get_content_type()


def test_defaults_are_flask_mails(app_ctx) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = Message(), flask_mail.Message()
    for name in ("subject", "recipients", "body", "html", "alts", "sender", "cc", "bcc",
                 "attachments", "reply_to", "date", "charset", "extra_headers",
                 "mail_options", "rcpt_options", "send_to"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.sender == "Default <default@example.com>"
    assert ours.lettr_result is None


def test_tuple_sender_becomes_a_string(app_ctx) -> None:  # type: ignore[no-untyped-def]
    assert Message(sender=("Ann", "ann@example.com")).sender == "Ann <ann@example.com>"


def test_tuple_default_sender() -> None:
    app = make_app(MAIL_DEFAULT_SENDER=("Team", "team@example.com"))
    Mail(app)
    with app.app_context():
        assert Message("x").sender == "Team <team@example.com>"


def test_message_outside_an_app_context_has_no_default_sender() -> None:
    assert Message("hi", recipients=["a@example.com"]).sender is None


def test_msgid_is_unique_and_well_formed(app_ctx) -> None:  # type: ignore[no-untyped-def]
    first, second = Message(), Message()
    assert first.msgId != second.msgId
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", first.msgId)
    assert f"Message-ID: {first.msgId}" in first.as_string()


def test_html_lives_in_alts(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message(html="<b>hi</b>")
    assert msg.alts == {"html": "<b>hi</b>"}
    msg.html = None
    assert msg.alts == {} and msg.html is None


def test_recipients_and_send_to(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message(recipients=["a@example.com"], cc=["c@example.com"], bcc=["b@example.com"])
    msg.add_recipient("d@example.com")
    msg.add_recipient("a@example.com")
    assert msg.recipients == ["a@example.com", "d@example.com", "a@example.com"]
    assert msg.send_to == {"a@example.com", "b@example.com", "c@example.com", "d@example.com"}


def test_attachment_fields_and_defaults() -> None:
    att = Attachment("report.pdf", data=b"%PDF")
    assert (att.filename, att.content_type, att.disposition, att.headers) == (
        "report.pdf", "application/pdf", "attachment", {})
    assert Attachment(data="text").content_type == "text/plain"
    assert Attachment(data=b"\x00").content_type == "application/octet-stream"
    with pytest.raises(ValueError, match="data"):
        Attachment("x.txt")
    theirs = flask_mail.Attachment("report.pdf", data=b"%PDF")
    assert theirs.content_type == att.content_type and theirs.disposition == att.disposition


def test_attach_appends(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message(recipients=["a@example.com"])
    msg.attach("a.txt", "text/plain", "hello", "inline", {"Content-ID": "<a1>"})
    (att,) = msg.attachments
    assert (att.filename, att.content_type, att.data, att.disposition, att.headers) == (
        "a.txt", "text/plain", "hello", "inline", {"Content-ID": "<a1>"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"body": "plain"},
        {"body": "plain", "html": "<p>html</p>"},
        {"body": "plain", "attachments": [Attachment("a.txt", data="x")]},
        {"body": "plain", "html": "<p>h</p>", "attachments": [Attachment("a.bin", data=b"\0")]},
    ],
)
def test_mime_structure_matches_flask_mail(app_ctx, kwargs) -> None:  # type: ignore[no-untyped-def]
    common = {"subject": "Hello", "recipients": ["to@example.com"], "cc": ["cc@example.com"],
              "bcc": ["bcc@example.com"], "reply_to": "r@example.com",
              "extra_headers": {"X-Thing": "1"}, "date": 1_700_000_000}
    ours = _parse(Message(**common, **kwargs).as_bytes())
    theirs = _parse(flask_mail.Message(**common, **kwargs).as_bytes())
    assert _shape(ours) == _shape(theirs)
    for header in ("Subject", "From", "To", "Cc", "Reply-To", "Date", "X-Thing"):
        assert ours[header] == theirs[header], header
    assert ours["Bcc"] is None
    assert ours["Message-ID"]


def test_as_string_and_str_and_bytes(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message("Hi", recipients=["a@example.com"], body="hello", date=1_700_000_000)
    assert str(msg) == msg.as_string()
    assert bytes(msg) == msg.as_bytes()
    assert "Subject: Hi" in msg.as_string()
    assert "hello" in msg.as_string()


def test_unicode_subject_body_and_names(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message(
        subject="Grüße ✓", recipients=[("Zoë Ä", "zoe@exämple.com")], body="Tschüß",
        html="<p>Ünïcode</p>", sender=("Jörg", "jorg@example.com"),
    )
    raw = msg.as_bytes()
    raw.split(b"\r\n\r\n")[0].decode("ascii")  # headers are encoded words
    parsed = _parse(raw)
    assert parsed["Subject"] == "Grüße ✓"
    assert str(parsed["From"]) == "Jörg <jorg@example.com>"
    assert "xn--exmple-cua.com" in str(parsed["To"])
    texts = [p.get_content() for p in parsed.walk() if not p.is_multipart()]
    assert any("Tschüß" in t for t in texts) and any("Ünïcode" in t for t in texts)


def test_unicode_attachment_filename(app_ctx) -> None:  # type: ignore[no-untyped-def]
    msg = Message("x", recipients=["a@example.com"], body="b")
    msg.attach("résumé.pdf", data=b"%PDF")
    parsed = _parse(msg.as_bytes())
    (part,) = [p for p in parsed.walk() if p.get_content_disposition() == "attachment"]
    assert part.get_filename() == "résumé.pdf"
    assert part.get_content() == b"%PDF"


def test_ascii_attachments_setting() -> None:
    app = make_app(MAIL_ASCII_ATTACHMENTS=True)
    Mail(app)
    with app.app_context():
        msg = Message("x", recipients=["a@example.com"], body="b")
        msg.attach("Ångström   café.txt", data="x")
        assert 'filename="Angstrom cafe.txt"' in msg.as_string()


@pytest.mark.parametrize(
    "value",
    ["plain@example.com", "Name <user@example.com>", "Zoë <zoe@example.com>",
     "user@exämple.com", ("Ann, Inc.", "ann@example.com"), "\"Quoted, Name\" <q@example.com>"],
)
def test_sanitize_address_matches_flask_mail(value: object) -> None:
    assert sanitize_address(value) == flask_mail.sanitize_address(value)  # type: ignore[arg-type]


def test_sanitize_helpers_match_flask_mail() -> None:
    values = ["a@example.com", ("Bé", "b@example.com")]
    assert sanitize_addresses(values) == flask_mail.sanitize_addresses(values)
    for subject in ("plain", "Grüße", "x" * 200 + "é"):
        assert sanitize_subject(subject) == flask_mail.sanitize_subject(subject)
    assert force_text(b"caf\xc3\xa9") == "café" == flask_mail.force_text(b"caf\xc3\xa9")
    assert force_text(42) == "42"
    with pytest.raises(UnicodeDecodeError):
        force_text(b"\xff")


@pytest.mark.parametrize(
    "kwargs,bad",
    [
        ({"subject": "Hello\nWorld"}, True),
        ({"subject": "Hello\r\nWorld"}, True),
        ({"subject": "Hello\r\n World"}, False),  # folded (FWS) is fine
        ({"subject": "Hello\r\n\tWorld"}, False),
        ({"subject": "Hello\r\n"}, True),
        ({"subject": "Hello\r\n \r\nx"}, True),
        ({"sender": "me@example.com\r\nBcc: x@example.com"}, True),
        ({"sender": ("Me\n", "me@example.com")}, True),
        ({"recipients": ["a@example.com\nBcc: x@example.com"]}, True),
        ({"reply_to": "r@example.com\r\n"}, True),
        ({"subject": "fine", "recipients": ["a@example.com"]}, False),
    ],
)
def test_bad_headers_like_flask_mail(app_ctx, kwargs, bad) -> None:  # type: ignore[no-untyped-def]
    kwargs = {"recipients": ["a@example.com"], **kwargs}
    assert Message(**kwargs).has_bad_headers() is bad
    assert flask_mail.Message(**kwargs).has_bad_headers() is bad
    with pytest.deprecated_call():
        assert Message(**kwargs).is_bad_headers() is bad


def test_lettr_extras_are_keywords_and_attributes(app_ctx) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    msg = Message(
        "x", ["a@example.com"], template_id="welcome", template_version=2, project_id=7,
        merge_global_data={"name": "Ann"}, metadata={"user": 1}, tag="signup",
        track_opens=True, track_clicks=False, transactional=True, inline_css=True,
        send_at=when, amp_html="<html amp4email></html>", idempotency_key="k-1",
        lettr_transport="api",
    )
    assert (msg.template_id, msg.template_version, msg.project_id) == ("welcome", 2, 7)
    assert msg.merge_global_data == {"name": "Ann"} and msg.metadata == {"user": 1}
    assert msg.tags == ["signup"] and msg.tag == "signup"
    assert (msg.track_opens, msg.track_clicks, msg.transactional, msg.inline_css) == (
        True, False, True, True)
    assert msg.send_at == when and msg.idempotency_key == "k-1"
    assert msg.lettr_transport == "api" and msg.amp_html.startswith("<html")
    msg.tags = ["a"]
    assert msg.tag == "a"
    msg.tag = None
    assert msg.tags == []
