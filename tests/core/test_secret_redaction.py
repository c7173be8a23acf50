"""Regression tests for secrets in error text: an echoed key is masked, a secret pasted into
the wrong setting is not repeated by the ConfigurationError (nor by its chained context)."""

from __future__ import annotations

import pytest
import responses

from lettr_core import LettrConfig
from lettr_core.api import ApiTransport
from lettr_core.config import shown_value
from lettr_core.errors import AuthenticationError, ConfigurationError, ServerError

KEY = "lttr_" + "0" * 60 + "d00d"


def test_an_error_body_echoing_the_key_is_masked(transport: ApiTransport,
                                                mock_api: responses.RequestsMock) -> None:
    echo = f"Bearer {transport.config.api_key}"
    mock_api.post("https://app.lettr.com/api/emails", status=401,
                  json={"message": f"bad header {echo}", "errors": {echo: [echo]}},
                  headers={"X-Echo": echo})
    from lettr_core import Email

    with pytest.raises(AuthenticationError) as caught:
        transport.send(Email("a@example.com", to="b@example.com", subject="s", text="t"))
    error = caught.value
    key = str(transport.config.api_key)
    for text in (str(error), repr(error), repr(error.args), error.body, repr(error.errors),
                 repr(error.headers), repr(error.smtp_error)):
        assert key not in str(text)
    assert "lttr_…" in str(error)  # masked, so the echo is still recognisable


def test_redact_leaves_errors_without_the_secret_alone() -> None:
    error = ServerError("boom", status=500, body="body")
    assert error.redact(None, "x") is error and str(error) == "boom (HTTP 500)"
    assert error.redact(KEY, "x").body == "body"


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        ({"API_KEY": KEY, "TRANSPORT": KEY}, "a value of 69 characters"),
        ({"API_KEY": KEY, "TRANSPORT": "smtps"}, "'smtps'"),
        ({"API_KEY": KEY, "SMTP_SECURITY": "hunter2-pass!"}, "a value of 13 characters"),
        ({"API_KEY": KEY, "MAX_RETRIES": KEY}, "a value of 69 characters"),
        ({"API_KEY": KEY, "MAX_RETRIES": "many"}, "'many'"),
    ],
)
def test_configuration_errors_do_not_repeat_secret_looking_values(
    settings: dict[str, str], shown: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        LettrConfig.from_mapping(settings, environ={})
    assert shown in str(caught.value)
    assert KEY not in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_shown_value() -> None:
    assert shown_value("tls") == "'tls'"
    assert shown_value("lttr_x") == "a value of 6 characters"
    assert shown_value("with space") == "a value of 10 characters"
    assert shown_value(150) == "150" and shown_value("150.5") == "'150.5'"
