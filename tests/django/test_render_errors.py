"""Regressions: lazy strings that fail to render are named errors; attachment content that is
neither bytes nor str is refused (it used to be sent as its str()); lazy metadata that renders
fine is sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from lettr_core.errors import ValidationError
from lettr_django.backend import EmailBackend


def message(**attributes: Any) -> EmailMessage:
    built = EmailMessage("Hi", "Body", "shop@example.com", ["ann@example.com"])
    for name, value in attributes.items():
        setattr(built, name, value)
    return built


@pytest.mark.parametrize("field", ["subject", "body", "from_email"])
def test_a_lazy_string_that_fails_is_a_validation_error(field: str, api: Any) -> None:
    bad = message(**{field: format_lazy("Hello {name}")})
    with pytest.raises(ValidationError, match=field) as caught:
        EmailBackend().send_messages([bad])
    assert isinstance(caught.value.__cause__, KeyError)
    assert bad.lettr_error is caught.value  # type: ignore[attr-defined]
    assert api.bodies == []


@pytest.mark.parametrize("content", [42, 4.2, object()])
def test_attachment_content_must_be_bytes_or_str(content: object, api: Any) -> None:
    bad = message()
    bad.attachments = [("a.bin", content, "application/octet-stream")]
    with pytest.raises(ValidationError, match="bytes or str"):
        EmailBackend().send_messages([bad])
    assert api.bodies == []


def test_lazy_metadata_and_attachment_text_are_rendered(api: Any) -> None:
    good = message(metadata={"campaign": gettext_lazy("Spring")})
    good.attachments = [("note.txt", gettext_lazy("Thanks"), "text/plain")]
    assert EmailBackend().send_messages([good]) == 1
    assert api.body["metadata"] == {"campaign": "Spring"}
