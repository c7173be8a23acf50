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
