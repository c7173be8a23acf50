"""Regressions found by the properties in tests/core/test_properties.py: each of these bodies
used to leave the client and come back as a 422 (or crash with a bare ValueError)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lettr_core import Attachment, Email
from lettr_core.addresses import parse_address
from lettr_core.errors import InvalidAddress, ValidationError
from lettr_core.payload import build_payload

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def build(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"from_email": "a@example.com", "to": ["b@example.com"],
                               "subject": "Hi", "text": "x"}
    base.update(fields)
    return build_payload(Email(**base), now=NOW)  # type: ignore[arg-type]


def test_an_empty_subject_counts_as_none() -> None:
    with pytest.raises(ValidationError, match="subject"):
        build(subject="")
    body = build(subject="", template_slug="welcome")
    assert "subject" not in body  # the template's subject is used


def test_an_empty_attachment_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"'empty\.txt' is empty"):
        build(attachments=[Attachment("empty.txt", b"")])


def test_a_non_ascii_lettr_metadata_header_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="X-Lettr header"):
        build(headers={"X-Lettr-Metadata": "¡no!"})


def test_a_one_character_top_level_domain_is_not_an_address() -> None:
    with pytest.raises(InvalidAddress):
        parse_address("a@example.c")
    assert parse_address("a@example.co").domain == "example.co"


@pytest.mark.parametrize("field", ["to", "cc", "bcc", "reply_to", "from_email"])
@pytest.mark.parametrize("address", ["dev@localhost", "dev@[127.0.0.1]"])
def test_local_only_domains_do_not_go_to_the_api(field: str, address: str) -> None:
    assert parse_address(address).email == address  # still fine for a local SMTP server
    value: object = address if field == "from_email" else [address]
    with pytest.raises(InvalidAddress, match="public domain name"):
        build(**{field: value})


@pytest.mark.parametrize("brk", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_every_line_break_python_knows_is_refused_in_headers(brk: str) -> None:
    from lettr_core.errors import HeaderInjection

    for fields in ({"subject": f"Hi{brk}Bcc: x@example.com"}, {"headers": {"X-A": f"1{brk}2"}},
                   {"from_email": (f"Shop{brk}", "a@example.com")}):
        with pytest.raises(HeaderInjection):
            build(**fields)


def test_names_with_non_ascii_are_not_merged_in_the_to_header() -> None:
    """Python 3.10-3.12 could encode the comma between two addresses (=?utf-8?q?=2C?=)."""
    from email import message_from_bytes, policy

    from lettr_core.mime import build_message, serialize

    to = ["0@0.0.aaa", "0@0.0.aaaa", ("00¡", "0@0.0.aaaa"), "00000000@0.0.aaa", "0@0.aa",
          "Zoë Müller <zoe@example.com>", '"Doe, Jöhn" <j@example.com>']
    email = Email("shop@example.com", to=to, subject="Hi", text="x")
    raw = serialize(build_message(email))
    assert b"=2C?=" not in raw.split(b"\r\nSubject")[0].replace(b"Doe=2C", b"")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in parsed["To"].addresses] == [a.email for a in email.to]
    assert [a.display_name for a in parsed["To"].addresses][-2:] == ["Zoë Müller", "Doe, Jöhn"]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
