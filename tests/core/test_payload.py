"""The payload builder: every SendEmailRequest field, and every limit checked before I/O."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lettr_core import Attachment, Email
from lettr_core.errors import (
    HeaderInjection,
    LimitExceeded,
    ScheduleError,
    ValidationError,
)
from lettr_core.payload import build_payload, encode_body, split_recipients
from tests.schema import assert_valid_request

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def make(**kwargs: object) -> Email:
    fields: dict[str, object] = {"from_email": "App <app@example.com>", "to": ["u@example.com"],
                                 "subject": "Hi", "text": "Hello"}
    fields.update(kwargs)
    return Email(**fields)  # type: ignore[arg-type]


def built(**kwargs: object) -> dict[str, object]:
    body = build_payload(make(**kwargs), now=NOW)
    assert_valid_request(body)
    return body


def test_every_field_reaches_the_body() -> None:
    body = built(
        to=["Ann <ann@example.com>", "bob@bücher.example"],
        cc=["c@example.com"],
        bcc=["d@example.com"],
        reply_to=["Help Desk <help@example.com>"],
        html="<p>Hello</p>",
        amp_html="<html amp4email></html>",
        template_slug="welcome",
        template_version=2,
        project_id=7,
        substitution_data={"first_name": "Ann", "count": 3},
        metadata={"user_id": 12345, "plan": "pro", "vip": True},
        tag="onboarding",
        headers={"X-Mailer": "app/1"},
        options={"open_tracking": True, "click_tracking": False},
        attachments=[Attachment("a.txt", b"hello", "text/plain")],
    )
    assert body == {
        "from": "app@example.com",
        "from_name": "App",
        "to": ["ann@example.com", "bob@xn--bcher-kva.example"],
        "cc": ["c@example.com"],
        "bcc": ["d@example.com"],
        "reply_to": "help@example.com",
        "reply_to_name": "Help Desk",
        "subject": "Hi",
        "text": "Hello",
        "html": "<p>Hello</p>",
        "amp_html": "<html amp4email></html>",
        "template_slug": "welcome",
        "template_version": 2,
        "project_id": 7,
        "substitution_data": {"first_name": "Ann", "count": "3"},
        "metadata": {"user_id": "12345", "plan": "pro", "vip": "true"},
        "tag": "onboarding",
        "headers": {"X-Mailer": "app/1"},
        "options": {"open_tracking": True, "click_tracking": False},
        "attachments": [
            {"name": "a.txt", "type": "text/plain", "data": base64.b64encode(b"hello").decode()}
        ],
    }


def test_minimal_body_sends_only_what_is_set() -> None:
    assert built() == {"from": "app@example.com", "from_name": "App", "to": ["u@example.com"],
                       "subject": "Hi", "text": "Hello"}


def test_system_managed_headers_are_never_sent() -> None:
    body = built(headers={"Message-ID": "<x@y>", "List-Unsubscribe": "<mailto:u@x>",
                          "X-MSYS-API": "{}", "date": "now", "X-Keep": "yes"})
    assert body["headers"] == {"X-Keep": "yes"}


def test_x_lettr_headers_are_lifted_into_fields() -> None:
    data = base64.b64encode(json.dumps({"name": "Ann"}).encode()).decode()
    body = built(headers={
        "X-Lettr-Template-Slug": "reset", "X-Lettr-Template-Version": "3",
        "X-Lettr-Project-Id": "9", "X-Lettr-Substitution-Data": data,
        "X-Lettr-Tag": "auth", "X-Lettr-Metadata": '{"k": 1}', "X-Other": "1",
    })
    assert body["template_slug"] == "reset"
    assert body["template_version"] == 3
    assert body["project_id"] == 9
    assert body["substitution_data"] == {"name": "Ann"}
    assert body["tag"] == "auth"
    assert body["metadata"] == {"k": "1"}
    assert body["headers"] == {"X-Other": "1"}


def test_message_fields_win_over_lifted_headers() -> None:
    body = built(tag="mine", headers={"X-Lettr-Tag": "theirs"})
    assert body["tag"] == "mine"


def test_inline_attachment_is_named_by_content_id() -> None:
    body = built(html='<img src="cid:logo">', attachments=[
        Attachment("logo.png", b"\x89PNG", "image/png", content_id="<logo>")])
    assert body["attachments"][0]["name"] == "logo"  # type: ignore[index]


def test_attachment_data_has_no_line_breaks() -> None:
    body = built(attachments=[Attachment("big.bin", bytes(range(256)) * 400)])
    data = body["attachments"][0]["data"]  # type: ignore[index]
    assert "\n" not in data and base64.b64decode(data) == bytes(range(256)) * 400


def test_mimetype_is_guessed_from_the_name() -> None:
    assert Attachment("report.pdf", b"%PDF").mimetype == "application/pdf"
    assert Attachment("blob", b"x").mimetype == "application/octet-stream"


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"headers": {f"X-H{i}": "v" for i in range(11)}}, LimitExceeded, "headers"),
        ({"headers": {"X-Long": "v" * 999}}, LimitExceeded, "headers"),
        ({"tag": "t" * 65}, LimitExceeded, "tag"),
        ({"tag": "has space"}, ValidationError, "tag"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, LimitExceeded, "metadata"),
        ({"metadata": {"k" * 41: "v"}}, LimitExceeded, "metadata"),
        ({"metadata": {"k": "v" * 501}}, LimitExceeded, "metadata"),
        ({"metadata": {"k": {"nested": 1}}}, ValidationError, "metadata"),
        ({"metadata": {"k": None}}, ValidationError, "metadata"),
        ({"metadata": {1: "v"}}, ValidationError, "metadata"),
        ({"substitution_data": {"k": [1, 2]}}, ValidationError, "substitution_data"),
        ({"template_slug": "t", "template_version": 0}, ValidationError, "template_version"),
        ({"project_id": "abc", "template_slug": "t"}, ValidationError, "project_id"),
        ({"attachments": [Attachment(None, b"x")]}, ValidationError, "attachments"),
        ({"attachments": [Attachment("n" * 256, b"x")]}, LimitExceeded, "attachments"),
        ({"attachments": [Attachment("a", b"x" * 2_000_000), Attachment("b", b"x" * 2_000_000)]},
         LimitExceeded, "attachments"),
        ({"to": [], "bcc": ["b@example.com"]}, ValidationError, "to"),
        ({"text": None}, ValidationError, "html"),
        ({"subject": None}, ValidationError, "subject"),
        ({"subject": "s" * 999}, LimitExceeded, "subject"),
        ({"reply_to": ["a@example.com", "b@example.com"]}, ValidationError, "reply_to"),
        ({"options": {"open_tracking": "yes"}}, ValidationError, "options"),
        ({"options": {"teleport": True}}, ValidationError, "options"),
        ({"headers": {"X-Lettr-Template-Version": "two"}}, ValidationError, "template_version"),
        ({"headers": {"X-Lettr-Metadata": "not json"}}, ValidationError, "metadata"),
    ],
)
def test_limits_are_named_errors(kwargs: dict[str, object], error: type[Exception],
                                 field: str) -> None:
    with pytest.raises(error) as info:
        build_payload(make(**kwargs), now=NOW)
    assert field in info.value.errors  # type: ignore[attr-defined]


def test_attachment_limit_counts_base64_size() -> None:
    limit_raw = (5 * 1024 * 1024) // 4 * 3
    build_payload(make(attachments=[Attachment("a", b"x" * limit_raw)]), now=NOW)
    with pytest.raises(LimitExceeded):
        build_payload(make(attachments=[Attachment("a", b"x" * (limit_raw + 1))]), now=NOW)


@pytest.mark.parametrize("field", ["subject", "to", "from_email", "reply_to", "cc"])
def test_line_breaks_are_refused_when_the_email_is_built(field: str) -> None:
    value = "Hi\r\nBcc: evil@example.com" if field == "subject" else "a@example.com\nX: y"
    with pytest.raises(HeaderInjection):
        make(**{field: value})


def test_header_values_and_names_are_checked() -> None:
    with pytest.raises(HeaderInjection):
        make(headers={"X-A": "v\r\nBcc: evil@example.com"})
    with pytest.raises(HeaderInjection):
        make(headers={"Bad Name": "v"})


def test_attachment_content_must_be_bytes_or_str() -> None:
    with pytest.raises(ValidationError):
        Attachment("a.txt", 12345)  # type: ignore[arg-type]


def test_template_needs_no_subject_or_body() -> None:
    body = built(subject=None, text=None, template_slug="welcome")
    assert body["template_slug"] == "welcome" and "subject" not in body


class TestScheduling:
    def test_send_at_becomes_utc_scheduled_at(self) -> None:
        later = (NOW + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5)))
        assert built(send_at=later)["scheduled_at"] == "2026-12-03T14:00:00Z"

    @pytest.mark.parametrize(
        "send_at",
        [
            datetime(2026, 12, 3, 13, 0),  # naive
            NOW - timedelta(minutes=1),
            NOW + timedelta(minutes=4, seconds=59),
            NOW + timedelta(days=3, seconds=1),
        ],
    )
    def test_outside_the_window_is_refused(self, send_at: datetime) -> None:
        with pytest.raises(ScheduleError):
            build_payload(make(send_at=send_at), now=NOW)

    def test_window_edges_are_accepted(self) -> None:
        built(send_at=NOW + timedelta(minutes=5))
        built(send_at=NOW + timedelta(days=3))


class TestSplitting:
    def test_small_message_is_one_request(self) -> None:
        body = built(to=[f"u{i}@example.com" for i in range(50)])
        assert list(split_recipients(body)) == [body]

    def test_large_message_is_split_and_every_recipient_kept_once(self) -> None:
        to = [f"u{i}@example.com" for i in range(120)]
        cc = ["c@example.com"]
        bcc = [f"b{i}@example.com" for i in range(60)]
        chunks = list(split_recipients(build_payload(make(to=to, cc=cc, bcc=bcc), now=NOW)))
        assert len(chunks) == 4
        for chunk in chunks:
            assert_valid_request(chunk)
            total = sum(len(chunk.get(k, [])) for k in ("to", "cc", "bcc"))  # type: ignore[arg-type]
            assert len(chunk["to"]) >= 1 and total <= 50
        assert sorted(a for c in chunks for a in c["to"]) == sorted(to)
        assert [a for c in chunks for a in c.get("cc", [])] == cc
        assert [a for c in chunks for a in c.get("bcc", [])] == bcc

    def test_too_few_to_recipients_for_the_cc_list(self) -> None:
        body = build_payload(make(cc=[f"c{i}@example.com" for i in range(60)]), now=NOW)
        with pytest.raises(LimitExceeded):
            list(split_recipients(body))


def test_lazy_attachment_data_encodes_to_the_same_bytes() -> None:
    message = make(attachments=[Attachment('we"ird\\name.txt', "Grüße \x00 \u2028"),
                                Attachment("b.bin", bytes(range(256)) * 50)],
                   subject="\"quoted\" Grüße", text="line\u2028separator")
    eager = encode_body(build_payload(message, now=NOW))
    lazy = encode_body(build_payload(message, now=NOW, lazy_data=True))
    assert lazy == eager
    assert_valid_request(lazy)


def test_fingerprint_compares_content_without_encoding_it() -> None:
    one = build_payload(make(attachments=[Attachment("a", b"same")]), now=NOW, lazy_data=True)
    two = build_payload(make(attachments=[Attachment("a", b"same")]), now=NOW, lazy_data=True)
    other = build_payload(make(attachments=[Attachment("a", b"diff")]), now=NOW, lazy_data=True)
    assert encode_body(one, fingerprint=True) == encode_body(two, fingerprint=True)
    assert encode_body(one, fingerprint=True) != encode_body(other, fingerprint=True)


def test_encoded_body_is_compact_utf8_json() -> None:
    data = encode_body({"subject": "Grüße", "to": ["a@example.com"]})
    assert data == '{"subject":"Grüße","to":["a@example.com"]}'.encode()


# -- properties ----------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                max_size=60)
_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=40)
_scalar = st.one_of(st.text(max_size=100), st.integers(), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))
_addr = st.from_regex(r"[a-z]{1,10}@[a-z]{1,10}\.(com|org|example)", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    to=st.lists(_addr, min_size=1, max_size=120),
    cc=st.lists(_addr, max_size=5),
    subject=_text.filter(bool),
    text=st.one_of(st.none(), _text.filter(bool)),
    html=st.one_of(st.none(), _text.filter(bool)),
    metadata=st.dictionaries(_key, _scalar, max_size=50),
    substitution=st.dictionaries(_key, _scalar, max_size=10),
    tag=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)),
    headers=st.dictionaries(st.from_regex(r"X-[A-Za-z]{1,10}", fullmatch=True), _text,
                            max_size=10),
    attachment=st.one_of(st.none(), st.binary(max_size=300)),
)
def test_any_accepted_email_gives_bodies_the_schema_accepts(
    to: list[str], cc: list[str], subject: str, text: str | None, html: str | None,
    metadata: dict[str, object], substitution: dict[str, object], tag: str | None,
    headers: dict[str, str], attachment: bytes | None,
) -> None:
    email = Email("app@example.com", to=to, cc=cc, subject=subject, text=text or "t",
                  html=html, metadata=metadata, substitution_data=substitution, tag=tag,
                  headers=headers,
                  attachments=[Attachment("f.bin", attachment)] if attachment else [])
    body = build_payload(email, now=NOW)
    for chunk in split_recipients(body):
        assert_valid_request(chunk)
        assert json.loads(encode_body(chunk)) == chunk


def test_a_subject_header_wins_on_the_api_as_on_smtp() -> None:
    assert built(headers={"Subject": "From the header"})["subject"] == "From the header"
    assert "headers" not in built(headers={"subject": "x"})
