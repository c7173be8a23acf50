"""Lazy strings (Django's gettext_lazy, format_lazy...) are rendered when an Email is built;
one that fails to render is a named ValidationError, never a bare KeyError half-way through."""

from __future__ import annotations

import pytest

from lettr_core import Email
from lettr_core.addresses import as_text, parse_address
from lettr_core.errors import ValidationError


class Lazy:
    def __init__(self, text: str | None) -> None:
        self.text = text

    def __str__(self) -> str:
        if self.text is None:
            raise KeyError("name")
        return self.text


@pytest.mark.parametrize("field", ["subject", "text", "html", "amp_html", "tag"])
def test_failing_lazy_field_is_a_validation_error(field: str) -> None:
    with pytest.raises(ValidationError, match=field) as caught:
        Email(from_email="a@example.com", to="b@example.com", **{field: Lazy(None)})
    assert caught.value.field == field
    assert isinstance(caught.value.__cause__, KeyError)


def test_failing_lazy_header_value_and_display_name() -> None:
    with pytest.raises(ValidationError, match=r"headers\[X-A\]"):
        Email(from_email="a@example.com", to="b@example.com", headers={"X-A": Lazy(None)})
    with pytest.raises(ValidationError, match="from"):
        parse_address((Lazy(None), "a@example.com"), "from")


def test_working_lazy_strings_are_rendered_once() -> None:
    email = Email(from_email=(Lazy("Shop"), "a@example.com"), to="b@example.com",
                  subject=Lazy("Hello"), text=Lazy("Body"), html=Lazy("<p>Body</p>"))
    assert (email.subject, email.text, email.html) == ("Hello", "Body", "<p>Body</p>")
    assert email.from_email.name == "Shop"
    assert as_text("plain", "x") == "plain"
