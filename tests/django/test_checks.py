"""System checks: lettr.E001/E002/E003/W001/W002, read without tripping 6.1 deprecations."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from lettr_django.checks import check_lettr_settings

from .conftest import LETTR, MAILERS_API


def ids(**lettr: Any) -> list[str]:
    with override_settings(LETTR=lettr):
        return [message.id for message in check_lettr_settings()]


@pytest.fixture
def email_backend() -> Iterator[None]:
    """The pre-6.1 spelling (on 6.1: MAILERS removed, EMAIL_BACKEND set, warnings muted)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with override_settings(EMAIL_BACKEND="lettr_django.EmailBackend"):
            if hasattr(settings, "MAILERS"):
                del settings.MAILERS
            yield


def test_a_good_configuration_is_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated setting is read on any version
        assert ids(**LETTR) == []


def test_e001_no_key_while_the_api_is_configured() -> None:
    assert ids(TRANSPORT="api") == ["lettr.E001"]


def test_e001_no_key_for_lettrs_relay() -> None:
    assert ids() == ["lettr.E001"]


def test_no_e001_for_an_smtp_server_with_its_own_password() -> None:
    assert ids(SMTP_HOST="smtp.example.com", SMTP_PASSWORD="pw") == []


def test_w001_api_percent_out_of_range() -> None:
    assert ids(**LETTR, API_PERCENT=120) == ["lettr.W001"]
    assert ids(**LETTR, API_PERCENT=-1) == ["lettr.W001"]
    assert ids(**LETTR, API_PERCENT=100) == []


def test_e003_other_invalid_settings() -> None:
    assert ids(**LETTR, API_KEYS="typo") == ["lettr.E003"]
    assert ids(**LETTR, SMTP_HOST="smtp.example.com", SMTP_SECURITY="none") == ["lettr.E003"]


@pytest.mark.usefixtures("email_backend")
def test_e002_email_use_tls_and_ssl() -> None:
    with override_settings(EMAIL_USE_TLS=True, EMAIL_USE_SSL=True):
        assert ids(**LETTR) == ["lettr.E002"]
        with override_settings(EMAIL_HOST="smtp.example.com"):
            assert ids(**LETTR) == ["lettr.E002"]  # reported once


@pytest.mark.usefixtures("email_backend")
def test_e003_plaintext_email_host() -> None:
    with override_settings(EMAIL_HOST="smtp.example.com"):
        assert ids(**LETTR) == ["lettr.E003"]


@pytest.mark.skipif(not MAILERS_API, reason="MAILERS is Django 6.1+")
def test_checks_read_every_mailers_alias() -> None:
    mailers = {
        "default": {"BACKEND": "lettr_django.EmailBackend"},
        "tls": {"BACKEND": "lettr_django.EmailBackend",
                "OPTIONS": {"use_tls": True, "use_ssl": True}},
        "smtp": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                 "OPTIONS": {"host": "x"}},
    }
    with override_settings(MAILERS=mailers), warnings.catch_warnings():
        warnings.simplefilter("error")
        with override_settings(LETTR=LETTR):
            messages = check_lettr_settings()
    assert [m.id for m in messages] == ["lettr.E002"]
    assert "MAILERS['tls']" in messages[0].msg


def test_w002_lettr_set_but_backend_unused() -> None:
    other = "django.core.mail.backends.locmem.EmailBackend"
    routing: dict[str, Any] = (
        {"MAILERS": {"default": {"BACKEND": other}}} if MAILERS_API
        else {"EMAIL_BACKEND": other}
    )
    with override_settings(**routing):
        assert ids(**LETTR) == ["lettr.W002"]


def test_manage_py_check_runs_them() -> None:
    with override_settings(LETTR={"TRANSPORT": "api"}), pytest.raises(
        SystemCheckError, match=r"lettr\.E001"
    ):
        call_command("check")
