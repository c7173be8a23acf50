"""The SMTP door without a network: MIME layout, headers, feature checks, reply-code mapping."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from lettr_core import Attachment, Email, LettrConfig, SmtpTransport
from lettr_core.errors import (
    AuthenticationError,
    ConfigurationError,
    HeaderInjection,
    InvalidRecipient,
    LettrError,
    LimitExceeded,
    RateLimited,
    SenderRefused,
    ServerError,
    UnsupportedFeature,
    ValidationError,
)
from lettr_core.mime import build_message, metadata_header_value, needs_smtputf8, serialize
from lettr_core.smtp_errors import error_from_reply

KEY = "lttr_" + "0" * 64


def parsed(mail: Email) -> EmailMessage:
    data = serialize(build_message(mail))
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def layout(part: EmailMessage) -> Any:
    """The MIME tree as nested (content type, children) tuples / content-type strings."""
    if part.is_multipart():
        return (part.get_content_type(), [layout(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def mail(**fields: Any) -> Email:
    values: dict[str, Any] = {"from_email": "shop@example.com", "to": ["ann@example.com"],
                              "subject": "Hi"}
    values.update(fields)
    return Email(**values)


LOGO = Attachment("logo.png", b"\x89PNG....", "image/png", content_id="logo")
PDF = Attachment("invoice.pdf", b"%PDF-1.4", "application/pdf")


@pytest.mark.parametrize(
    ("fields", "tree"),
    [
        ({"text": "t"}, "text/plain"),
        ({"html": "<p>h</p>"}, "text/html"),
        ({}, "text/plain"),
        ({"text": "t", "html": "h"}, ("multipart/alternative", ["text/plain", "text/html"])),
        (
            {"text": "t", "amp_html": "a", "html": "h"},
            ("multipart/alternative", ["text/plain", "text/x-amp-html", "text/html"]),
        ),
        (
            {"text": "t", "html": "<img src=cid:logo>", "attachments": [LOGO, PDF]},
            (
                "multipart/mixed",
                [
                    ("multipart/alternative",
                     ["text/plain", ("multipart/related", ["text/html", "image/png"])]),
                    "application/pdf",
                ],
            ),
        ),
        ({"text": "t", "attachments": [LOGO]}, ("multipart/mixed", ["text/plain", "image/png"])),
    ],
    ids=["text", "html", "empty", "alternative", "amp-between", "related-and-mixed",
         "inline-without-html"],
)
def test_mime_layout(fields: dict[str, Any], tree: Any) -> None:
    message = parsed(mail(**fields))
    assert layout(message) == tree
    assert serialize(build_message(mail(**fields))).count(b"MIME-Version") == 1


def test_inline_image_has_its_content_id_and_attachments_their_names() -> None:
    message = parsed(mail(text="t", html="<img src=cid:logo>", attachments=[LOGO, PDF]))
    parts = {p.get_content_type(): p for p in message.walk()}
    assert parts["image/png"]["Content-ID"] == "<logo>"
    assert parts["image/png"].get_content_disposition() == "inline"
    assert parts["image/png"].get_content() == LOGO.data
    assert parts["application/pdf"].get_filename() == "invoice.pdf"
    assert parts["application/pdf"].get_content_disposition() == "attachment"


def test_headers_addresses_and_bcc() -> None:
    message = parsed(mail(
        from_email="Jörg Müller <jorg@bücher.example>",
        to=["Ann, A. <ann@example.com>", "bob@exämple.com"],
        cc=["cy@example.com"], bcc=["secret@example.com"],
        reply_to=["help@example.com"], subject="Grüße", text="ü",
    ))
    assert message["From"].addresses[0].display_name == "Jörg Müller"
    assert message["From"].addresses[0].domain == "xn--bcher-kva.example"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "ann@example.com", "bob@xn--exmple-cua.com"]
    assert message["Reply-To"] == "help@example.com"
    assert message["Subject"] == "Grüße"
    assert "Bcc" not in message
    assert message["Message-ID"].endswith("@xn--bcher-kva.example>")
    assert message["Date"]
    raw = serialize(build_message(mail(subject="Grüße", text="ü")))
    assert raw.isascii()  # no SMTPUTF8 needed: RFC 2047 headers, quoted-printable body
    assert b"\r\n" in raw


def test_a_non_ascii_local_part_needs_smtputf8() -> None:
    assert not needs_smtputf8(mail(to=["ann@bücher.example"]))
    message = mail(to=["jörg@example.com"])
    assert needs_smtputf8(message)
    assert "jörg@example.com".encode() in serialize(build_message(message))


def test_custom_headers_pass_and_may_replace_generated_ones() -> None:
    message = parsed(mail(text="t", headers={"X-Campaign": "spring",
                                             "Message-ID": "<fixed@example.com>"}))
    assert message["X-Campaign"] == "spring"
    assert message.get_all("Message-ID") == ["<fixed@example.com>"]


@pytest.mark.parametrize("name", ["Content-Type", "MIME-Version", "Bcc"])
def test_headers_that_would_break_the_message_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        build_message(mail(text="t", headers={name: "x"}))


def test_metadata_and_tag_headers() -> None:
    message = parsed(mail(text="t", metadata={"order": 42, "vip": True, "note": "ok"},
                          tag="receipt", headers={"X-Lettr-Tag": "old"}))
    assert json.loads(message["X-Lettr-Metadata"]) == {"order": "42", "vip": "true", "note": "ok"}
    assert message["X-Lettr-Metadata"] == '{"order":"42","vip":"true","note":"ok"}'
    assert message.get_all("X-Lettr-Tag") == ["receipt"]


def test_long_metadata_folds_between_entries_and_round_trips() -> None:
    metadata = {f"key{i}": f"value-number-{i}" for i in range(20)}
    raw = serialize(build_message(mail(text="t", metadata=metadata)))
    assert b"=?utf-8?" not in raw  # folded, not RFC 2047-encoded
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert json.loads(message["X-Lettr-Metadata"]) == metadata
    assert metadata_header_value({"a": "b"}) == '{"a":"b"}'


# -- the SMTP door's own checks (no I/O) ------------------------------------------------------
def _transport(**settings: Any) -> SmtpTransport:
    def no_network(*args: object) -> smtplib.SMTP:
        raise AssertionError("must not connect")

    return SmtpTransport(LettrConfig(**settings), connection_factory=no_network)


@pytest.mark.parametrize(
    "fields",
    [
        {"template_slug": "welcome"},
        {"substitution_data": {"a": "b"}},
        {"options": {"click_tracking": True}},
        {"headers": {"X-Lettr-Template-Slug": "welcome"}},
        {"headers": {"X-Lettr-Substitution-Data": "{}"}},
    ],
)
def test_api_only_features_are_unsupported_on_smtp(fields: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedFeature):
        _transport().send(mail(text="t", **fields))


def test_ignore_unsupported_features_drops_them_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = _transport(ignore_unsupported_features=True)
    with caplog.at_level(logging.WARNING, logger="lettr"):
        prepared = transport.prepare(mail(text="t", template_slug="welcome",
                                          headers={"X-Lettr-Template-Slug": "welcome",
                                                   "X-Keep": "1"}))
    assert b"X-Lettr-Template" not in prepared.data
    assert b"X-Keep: 1" in prepared.data
    assert "template" in caplog.text


def test_bcc_is_in_the_envelope_once_and_not_in_the_data() -> None:
    prepared = _transport().prepare(
        mail(text="t", cc=["ANN@example.com"], bcc=["hidden@example.com"])
    )
    assert prepared.recipients == ["ann@example.com", "hidden@example.com"]
    assert b"hidden@example.com" not in prepared.data


def test_envelope_sender_is_mail_from_and_not_a_header() -> None:
    prepared = _transport().prepare(mail(text="t", envelope_sender="bounces@bücher.example"))
    assert prepared.sender == "bounces@xn--bcher-kva.example"
    assert b"bounces@" not in prepared.data
    assert _transport().prepare(mail(text="t")).sender == mail(text="t").from_email.email
    with pytest.raises(HeaderInjection):
        mail(text="t", envelope_sender="a@example.com\r\nRCPT TO:<x@evil.example>")


def test_a_message_without_recipients_is_refused_before_io() -> None:
    with pytest.raises(ValidationError, match="no recipients"):
        _transport().send(mail(to=[], text="t"))


def test_plaintext_off_loopback_is_refused_before_connecting() -> None:
    config = LettrConfig(smtp_host="127.0.0.1", smtp_security="none")
    object.__setattr__(config, "smtp_host", "mail.example.com")  # as if validation were skipped
    transport = SmtpTransport(config, connection_factory=lambda *a: pytest.fail("connected"))
    with pytest.raises(ConfigurationError, match="loopback"):
        transport.open()
    with pytest.raises(ConfigurationError):
        LettrConfig(smtp_host="mail.example.com", smtp_security="none")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"api_key": KEY}, ("lettr", KEY)),
        ({"api_key": KEY, "smtp_host": "smtp.lettr.com"}, ("lettr", KEY)),
        ({"api_key": KEY, "smtp_host": "127.0.0.1", "smtp_security": "none"}, ("lettr", KEY)),
        ({"api_key": KEY, "smtp_host": "smtp.mailhost.example"}, None),
        ({"api_key": KEY, "smtp_host": "smtp.mailhost.example", "smtp_username": "me",
          "smtp_password": "pw"}, ("me", "pw")),
        ({"api_key": KEY, "smtp_username": "", "smtp_password": ""}, ("lettr", KEY)),
        ({}, None),
    ],
    ids=["lettr-default", "lettr-explicit", "loopback", "third-party", "own-password",
         "empty-django-defaults", "none"],
)
def test_the_api_key_is_only_sent_to_lettr_or_loopback(
    settings: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    transport = _transport(transport="smtp", **settings)
    assert transport._credentials() == expected
    assert KEY not in repr(transport)


@pytest.mark.parametrize(
    ("code", "stage", "error_type", "retryable"),
    [
        (421, "MAIL", RateLimited, True),
        (421, "RCPT", RateLimited, True),
        (451, "DATA", ServerError, True),
        (450, "RCPT", ServerError, True),
        (535, "AUTH", AuthenticationError, False),
        (530, "MAIL", AuthenticationError, False),
        (550, "RCPT", InvalidRecipient, False),
        (553, "RCPT", InvalidRecipient, False),
        (550, "MAIL", SenderRefused, False),
        (552, "DATA", LimitExceeded, False),
        (554, "DATA", ValidationError, False),
        (502, "EHLO", LettrError, False),
    ],
)
def test_reply_codes_map_to_the_shared_hierarchy(
    code: int, stage: str, error_type: type[LettrError], retryable: bool
) -> None:
    error = error_from_reply(code, b"5.0.0 text", stage=stage, sender="shop@example.com",
                             recipients={"bad@example.com": (code, b"no")})
    assert type(error) is error_type
    assert error.smtp_code == code
    assert error.retryable is retryable
    assert isinstance(error, smtplib.SMTPException)
    assert f"(SMTP {code})" in str(error)
    if isinstance(error, SenderRefused):
        assert isinstance(error, smtplib.SMTPSenderRefused)
        assert error.sender == "shop@example.com"
