"""Settings: keyword options > LETTR dict > environment > Django EMAIL_* > defaults."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from lettr_core.config import DEFAULT_SMTP_HOST
from lettr_django.backend import EmailBackend
from lettr_django.settings import OPTION_NAMES

from .conftest import FAKE_KEY, LETTR

OTHER_KEY = "lttr_" + "1" * 60 + "beef"


@pytest.fixture
def no_mailers() -> Iterator[None]:
    """Django 6.1: run with EMAIL_* semantics (MAILERS removed for the test)."""
    with override_settings(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 6.1 warns about every deprecated EMAIL_* use
        if hasattr(settings, "MAILERS"):
            del settings.MAILERS
        yield


def email_settings(**values: Any) -> Any:
    return override_settings(**values)


def test_signature_lists_every_option_explicitly() -> None:
    import inspect

    params = inspect.signature(EmailBackend.__init__).parameters
    assert list(params)[1:3] == ["fail_silently", "alias"]
    named = [p for p in params if p not in ("self", "fail_silently", "alias", "kwargs")]
    assert sorted(named) == sorted(OPTION_NAMES)
    assert not any(p.kind is p.VAR_POSITIONAL for p in params.values())


def test_keyword_arguments_win_over_lettr_dict_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LETTR_API_URL", "https://env.example.com/api")
    monkeypatch.setenv("LETTR_MAX_RETRIES", "7")
    monkeypatch.setenv("LETTR_API_PERCENT", "10")
    with override_settings(LETTR={**LETTR, "API_PERCENT": 50}):
        config = EmailBackend(api_key=OTHER_KEY, api_percent=75).config
        assert config.api_key == OTHER_KEY  # keyword over LETTR
        assert config.api_percent == 75  # keyword over LETTR over env
        assert config.api_url == "https://env.example.com/api"  # env when nothing else
        assert config.max_retries == 0  # LETTR over env
        assert EmailBackend().config.api_percent == 50


def test_key_from_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTR_API_KEY", OTHER_KEY)
    with override_settings(LETTR={}):
        config = EmailBackend().config
    assert config.api_key == OTHER_KEY
    assert config.transport == "api"


def test_without_a_key_the_smtp_door_is_lettrs_relay() -> None:
    with override_settings(LETTR={}):
        config = EmailBackend().config
    assert config.transport == "smtp"
    assert (config.smtp_host, config.smtp_port, config.smtp_security) == (
        DEFAULT_SMTP_HOST, 587, "starttls"
    )


def test_missing_key_for_the_api_names_the_setting() -> None:
    with override_settings(LETTR={"TRANSPORT": "api"}), pytest.raises(
        ImproperlyConfigured, match=r"LETTR\['API_KEY'\].*LETTR_API_KEY"
    ):
        EmailBackend()


def test_invalid_values_name_their_source(monkeypatch: pytest.MonkeyPatch) -> None:
    with override_settings(LETTR={**LETTR, "API_PERCENT": 150}), pytest.raises(
        ImproperlyConfigured, match=r"LETTR\['API_PERCENT'\]"
    ):
        EmailBackend()
    with pytest.raises(ImproperlyConfigured, match="'max_retries' argument"):
        EmailBackend(max_retries=-1)
    monkeypatch.setenv("LETTR_TRANSPORT", "pigeon")
    with pytest.raises(ImproperlyConfigured, match="LETTR_TRANSPORT environment variable"):
        EmailBackend()


def test_unknown_lettr_key_is_refused() -> None:
    with override_settings(LETTR={**LETTR, "API_KEYS": "x"}), pytest.raises(
        ImproperlyConfigured, match="API_KEYS"
    ):
        EmailBackend()


def test_lettr_must_be_a_dict() -> None:
    with override_settings(LETTR="lttr_x"), pytest.raises(ImproperlyConfigured, match="dict"):
        EmailBackend()


def test_the_key_never_shows_in_repr() -> None:
    assert FAKE_KEY not in repr(EmailBackend())
    assert FAKE_KEY not in repr(EmailBackend().config)


def test_django_smtp_names_as_keyword_arguments() -> None:
    config = EmailBackend(
        host="mail.example.com", port=2465, username="u", password="p", use_ssl=True
    ).config
    assert (config.smtp_host, config.smtp_port, config.smtp_username, config.smtp_password,
            config.smtp_security) == ("mail.example.com", 2465, "u", "p", "ssl")
    # send_mail(auth_user=None, auth_password=None) passes None: not given
    assert EmailBackend(username=None, password=None).config.smtp_username is None


def test_use_tls_and_use_ssl_together_are_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="mutually exclusive"):
        EmailBackend(use_tls=True, use_ssl=True)


# -- Django's EMAIL_* for the SMTP door (without MAILERS) ----------------------------------


@pytest.mark.usefixtures("no_mailers")
def test_email_settings_are_used_when_email_host_is_set() -> None:
    with email_settings(
        EMAIL_HOST="smtp.example.com", EMAIL_PORT=2525, EMAIL_HOST_USER="app",
        EMAIL_HOST_PASSWORD="secret", EMAIL_USE_TLS=True, EMAIL_TIMEOUT=12,
    ):
        config = EmailBackend().config
    assert (config.smtp_host, config.smtp_port, config.smtp_username, config.smtp_password,
            config.smtp_security, config.smtp_timeout) == (
        "smtp.example.com", 2525, "app", "secret", "starttls", 12.0
    )
    assert "secret" not in repr(config)


@pytest.mark.usefixtures("no_mailers")
def test_email_settings_defaults_come_along_with_email_host() -> None:
    """EMAIL_HOST alone: Django would use port 25 and no auth; so does the SMTP door."""
    with email_settings(EMAIL_HOST="127.0.0.1"):
        config = EmailBackend().config
    assert (config.smtp_host, config.smtp_port, config.smtp_security) == ("127.0.0.1", 25, "none")
    assert (config.smtp_username, config.smtp_password) == ("", "")


@pytest.mark.usefixtures("no_mailers")
def test_default_email_host_is_not_set() -> None:
    """Django's global default EMAIL_HOST ("localhost") does not count as set."""
    assert not settings.is_overridden("EMAIL_HOST")
    with email_settings(EMAIL_PORT=2525):
        config = EmailBackend().config
    assert (config.smtp_host, config.smtp_port) == (DEFAULT_SMTP_HOST, 587)


@pytest.mark.usefixtures("no_mailers")
def test_plaintext_to_a_remote_host_is_refused() -> None:
    with email_settings(EMAIL_HOST="smtp.example.com"), pytest.raises(
        ImproperlyConfigured, match="EMAIL_USE_TLS = True"
    ):
        EmailBackend()


@pytest.mark.usefixtures("no_mailers")
def test_email_use_tls_and_ssl_together_are_refused() -> None:
    with email_settings(
        EMAIL_HOST="smtp.example.com", EMAIL_USE_TLS=True, EMAIL_USE_SSL=True
    ), pytest.raises(ImproperlyConfigured, match="EMAIL_USE_TLS and EMAIL_USE_SSL"):
        EmailBackend()


@pytest.mark.usefixtures("no_mailers")
def test_lettr_smtp_host_wins_over_the_email_group() -> None:
    with email_settings(EMAIL_HOST="smtp.example.com", EMAIL_HOST_USER="old"), override_settings(
        LETTR={**LETTR, "SMTP_HOST": "smtp.lettr.com"}
    ):
        config = EmailBackend().config
    assert (config.smtp_host, config.smtp_username, config.smtp_security) == (
        "smtp.lettr.com", None, "starttls"
    )


@pytest.mark.usefixtures("no_mailers")
def test_lettr_smtp_knobs_win_over_single_email_settings() -> None:
    with email_settings(
        EMAIL_HOST="smtp.example.com", EMAIL_USE_SSL=True, EMAIL_TIMEOUT=5
    ), override_settings(LETTR={**LETTR, "SMTP_TIMEOUT": 9}):
        config = EmailBackend().config
    assert (config.smtp_host, config.smtp_security, config.smtp_timeout) == (
        "smtp.example.com", "ssl", 9.0
    )


@pytest.mark.usefixtures("no_mailers")
def test_an_alias_never_reads_email_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an alias (MAILERS), EMAIL_* are not read, even where they are set."""
    import lettr_django.settings as module

    read: list[str] = []
    real = module.django_setting
    monkeypatch.setattr(module, "django_setting", lambda name: read.append(name) or real(name))
    with email_settings(EMAIL_HOST="smtp.example.com", EMAIL_USE_TLS=True):
        assert EmailBackend().config.smtp_host == "smtp.example.com"
        assert read  # the trap works
        read.clear()
        config = EmailBackend(alias="default", smtp_port=2587).config
    assert read == []
    assert (config.smtp_host, config.smtp_port) == (DEFAULT_SMTP_HOST, 2587)


def test_unknown_keyword_option_without_alias() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EmailBackend(smtp_hots="typo.example.com")
    assert any("smtp_hots" in str(w.message) for w in caught)


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1+")
def test_unknown_mailers_option_is_an_invalid_mailer() -> None:
    from django.core.mail import InvalidMailer, mailers

    with override_settings(
        MAILERS={"default": {"BACKEND": "lettr_django.EmailBackend",
                             "OPTIONS": {"smtp_hots": "typo"}}}
    ), pytest.raises(InvalidMailer, match="smtp_hots"):
        mailers["default"]


def test_importing_the_package_reads_no_setting() -> None:
    """`import lettr_django` (and the backend module) works before settings are configured."""
    import subprocess
    import sys

    code = (
        "import lettr_django, lettr_django.backend, lettr_django.message;"
        "from django.conf import settings; assert not settings.configured;"
        "assert lettr_django.EmailBackend is lettr_django.backend.EmailBackend"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
