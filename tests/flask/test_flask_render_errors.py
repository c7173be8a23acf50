"""Regression: a lazy string that fails to render is a named ValidationError before any I/O,
and BadHeaderError says what is wrong (Flask-Mail raises it bare)."""

from __future__ import annotations

import pytest
from flask import Flask

from lettr_core.errors import ValidationError
from lettr_flask import BadHeaderError, Mail, Message


class Broken:
    def __str__(self) -> str:
        raise KeyError("user")


@pytest.mark.parametrize("field", ["subject", "body", "html", "sender"])
def test_a_failing_lazy_string_is_a_validation_error(
    field: str, api_app: Flask, mail: Mail, fake_api: object
) -> None:
    kwargs = {"subject": "Hi", "recipients": ["ann@example.com"], "body": "x", field: Broken()}
    with api_app.app_context(), pytest.raises(ValidationError) as caught:
        mail.send(Message(**kwargs))
    assert isinstance(caught.value.__cause__, KeyError)
    assert fake_api.calls == []  # type: ignore[attr-defined]


def test_bad_header_error_has_a_message() -> None:
    assert "line break" in str(BadHeaderError())
    assert str(BadHeaderError("custom")) == "custom"
