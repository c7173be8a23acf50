"""LettrConfig (settings, environment, validation, repr) and the error hierarchy."""

from __future__ import annotations

import pickle
import smtplib

import pytest

from lettr_core import LettrConfig
from lettr_core import errors as e
from lettr_core.retry import RetryPolicy

KEY = "lttr_" + "0" * 60 + "beef"


def test_reads_the_mapping_and_falls_back_to_the_environment() -> None:
    config = LettrConfig.from_mapping(
        {"API_PERCENT": "25", "fallback_to_smtp": "yes", "TIMEOUT": [3, 9]},
        environ={"LETTR_API_KEY": KEY, "LETTR_API_URL": "http://127.0.0.1:9/api/",
                 "LETTR_MAX_RETRIES": "5"},
    )
    assert config.api_key == KEY and config.transport == "api"
    assert config.api_url == "http://127.0.0.1:9/api"
    assert (config.api_percent, config.fallback_to_smtp, config.max_retries) == (25, True, 5)
    assert config.timeout == (3.0, 9.0)


def test_mapping_wins_over_the_environment_and_overrides_win_over_both() -> None:
    config = LettrConfig.from_mapping({"API_KEY": KEY, "MAX_RETRIES": 1},
                                      environ={"LETTR_MAX_RETRIES": "7"}, max_retries=0)
    assert config.max_retries == 0


def test_defaults() -> None:
    config = LettrConfig.from_mapping({}, environ={})
    assert config.transport == "smtp" and config.api_key is None
    assert (config.smtp_host, config.smtp_port, config.smtp_security) == (
        "smtp.lettr.com", 587, "starttls")
    assert config.smtp_user == "lettr"
    with_key = LettrConfig.from_mapping({"API_KEY": KEY}, environ={})
    assert with_key.transport == "api" and with_key.smtp_secret == KEY
    assert with_key.timeout == (10.0, 30.0) and with_key.initial_rate_limit == 3.0


def test_implicit_tls_ports_choose_ssl() -> None:
    assert LettrConfig.from_mapping({"SMTP_PORT": 465}, environ={}).smtp_security == "ssl"
    assert LettrConfig.from_mapping({"SMTP_PORT": 2465}, environ={}).smtp_security == "ssl"
    assert LettrConfig.from_mapping({"SMTP_SECURITY": "ssl"}, environ={}).smtp_port == 465


@pytest.mark.parametrize(
    ("mapping", "setting"),
    [
        ({"API_KEY": "sk_live_123"}, "API_KEY"),
        ({"TRANSPORT": "api"}, "API_KEY"),
        ({"TRANSPORT": "carrier-pigeon"}, "TRANSPORT"),
        ({"API_PERCENT": 150}, "API_PERCENT"),
        ({"API_PERCENT": -1}, "API_PERCENT"),
        ({"API_PERCENT": "lots"}, "API_PERCENT"),
        ({"MAX_RETRIES": -1}, "MAX_RETRIES"),
        ({"RATE_LIMIT": 0}, "RATE_LIMIT"),
        ({"SMTP_SECURITY": "none", "SMTP_HOST": "mail.example.com"}, "SMTP_SECURITY"),
        ({"SMTP_SECURITY": "tls-ish"}, "SMTP_SECURITY"),
        ({"FALLBACK_TO_SMTP": "perhaps"}, "FALLBACK_TO_SMTP"),
        ({"API_URL": "ftp://example.com"}, "API_URL"),
        ({"APIKEY": KEY}, "APIKEY"),
    ],
)
def test_bad_settings_are_configuration_errors(mapping: dict[str, object], setting: str) -> None:
    with pytest.raises(e.ConfigurationError) as info:
        LettrConfig.from_mapping(mapping, environ={})
    assert info.value.setting == setting
    assert not isinstance(info.value, e.LettrError)


def test_plaintext_is_allowed_to_loopback_only() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.5.6.7"):
        assert LettrConfig.from_mapping({"SMTP_SECURITY": "none", "SMTP_HOST": host},
                                        environ={}).smtp_security == "none"


def test_repr_masks_secrets() -> None:
    config = LettrConfig.from_mapping({"API_KEY": KEY, "SMTP_PASSWORD": "hunter2-secret"},
                                      environ={})
    text = repr(config)
    assert KEY not in text and "hunter2-secret" not in text
    assert "lttr_…beef" in text


def test_errors_derive_from_smtplib() -> None:
    assert issubclass(e.LettrError, smtplib.SMTPException)
    assert issubclass(e.AuthenticationError, smtplib.SMTPAuthenticationError)
    assert issubclass(e.InvalidRecipient, smtplib.SMTPRecipientsRefused)
    assert issubclass(e.InvalidRecipient, e.ValidationError)
    auth = e.AuthenticationError("bad key", status=401)
    assert auth.smtp_code == 535 and auth.smtp_error == b"bad key"


def test_error_text_and_pickling() -> None:
    error = e.ValidationError("Validation failed.", status=422, error_code="validation_error",
                              errors={"to": ["bad address"]}, body='{"x":1}')
    assert str(error) == "Validation failed. (HTTP 422, validation_error) [to: bad address]"
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is e.ValidationError and clone.errors == {"to": ["bad address"]}
    assert clone.status == 422
    own = e.LimitExceeded("tag is too long", field="tag")
    assert str(own) == "tag is too long" and own.errors == {"tag": ["tag is too long"]}


def test_retry_policy() -> None:
    policy = RetryPolicy(max_retries=2, deadline=10)
    server = e.ServerError("x", status=503)
    assert policy.delay(server, 1, 0) is not None
    assert policy.delay(server, 3, 0) is None
    assert policy.delay(e.AuthenticationError("x", status=401), 1, 0) is None
    assert policy.delay(e.ValidationError("x", status=422), 1, 0) is None
    limited = e.RateLimited("x", status=429, retry_after=4)
    assert policy.delay(limited, 1, 0) == 4
    assert policy.delay(limited, 1, 7) is None  # past the deadline
