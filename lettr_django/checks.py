"""System checks (``manage.py check``) for the Lettr settings.

- ``lettr.E001``: no API key while the API (or Lettr's relay, whose password is the key) is
  configured.
- ``lettr.E002``: TLS and SSL both switched on (``EMAIL_USE_TLS``/``EMAIL_USE_SSL`` or the
  ``use_tls``/``use_ssl`` options).
- ``lettr.E003``: any other invalid Lettr setting (unknown name, bad value, plaintext SMTP to
  a host that is not loopback...).
- ``lettr.W001``: ``API_PERCENT`` outside 0-100.
- ``lettr.W002``: a ``LETTR`` setting exists but no mailer uses ``lettr_django.EmailBackend``.

They read ``MAILERS`` on Django 6.1+ when it is defined, else ``EMAIL_BACKEND``, and never
touch a deprecated ``EMAIL_*`` setting that the project does not set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks

from lettr_core.config import DEFAULT_SMTP_HOST

from .settings import (
    LettrImproperlyConfigured,
    build_config,
    configured_mailers,
    django_setting,
    lettr_setting,
    mailers_enabled,
)


def _where(alias: str | None) -> str:
    return f"MAILERS[{alias!r}]" if alias is not None else "EMAIL_BACKEND"


def _raw(name: str, options: Mapping[str, Any], lettr: Mapping[str, Any]) -> Any:
    """A knob's raw value from the options, the LETTR dict or the environment."""
    if options.get(name) is not None:
        return options[name]
    for key, value in lettr.items():
        if str(key).lower() == name:
            return value
    return os.environ.get(f"LETTR_{name.upper()}") or None


def _check_percent(value: Any, alias: str | None) -> list[checks.CheckMessage]:
    if value is None:
        return []
    try:
        percent = float(value)
    except (TypeError, ValueError):
        percent = -1.0
    if 0 <= percent <= 100:
        return []
    return [
        checks.Warning(
            f"API_PERCENT is {value!r}; it must be a number from 0 to 100.",
            hint="Set LETTR['API_PERCENT'] (or the api_percent option) between 0 and 100.",
            id="lettr.W001",
        )
    ]


def _check_tls(options: Mapping[str, Any], alias: str | None) -> list[checks.CheckMessage]:
    if options.get("use_tls") and options.get("use_ssl"):
        both = f"{_where(alias)} OPTIONS 'use_tls' and 'use_ssl'"
    elif (
        alias is None
        and not mailers_enabled()
        and django_setting("EMAIL_USE_TLS")
        and django_setting("EMAIL_USE_SSL")
    ):
        both = "EMAIL_USE_TLS and EMAIL_USE_SSL"
    else:
        return []
    return [
        checks.Error(
            f"{both} are both True; they are mutually exclusive.",
            hint="Use TLS (STARTTLS, port 587) or SSL (implicit TLS, port 465), not both.",
            id="lettr.E002",
        )
    ]


def check_mailer(alias: str | None, options: Mapping[str, Any]) -> list[checks.CheckMessage]:
    """The checks for one configuration of the backend."""
    options = {k: v for k, v in options.items() if k != "fail_silently"}
    lettr = lettr_setting()
    found = [*_check_percent(_raw("api_percent", options, lettr), alias),
             *_check_tls(options, alias)]
    try:
        config = build_config(options, alias=alias)
    except LettrImproperlyConfigured as error:
        if error.knob == "api_key":
            found.append(checks.Error(str(error), id="lettr.E001"))
        elif error.knob == "api_percent" and found:
            pass  # reported as W001
        elif error.knob == "smtp_security" and any(m.id == "lettr.E002" for m in found):
            pass  # reported as E002
        else:
            found.append(
                checks.Error(str(error), hint=f"Fix the setting ({_where(alias)}).",
                             id="lettr.E003")
            )
        return found
    if config.transport == "smtp" and config.smtp_host == DEFAULT_SMTP_HOST \
            and not config.smtp_secret:
        found.append(
            checks.Error(
                "No API key is set, and Lettr's SMTP relay takes the API key as its password.",
                hint="Set LETTR['API_KEY'] or the LETTR_API_KEY environment variable, or point "
                     "the SMTP door at another server.",
                id="lettr.E001",
            )
        )
    return found


@checks.register(checks.Tags.compatibility)
def check_lettr_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run :func:`check_mailer` for every mailer that uses ``lettr_django.EmailBackend``."""
    try:
        mailers = configured_mailers()
    except LettrImproperlyConfigured as error:
        return [checks.Error(str(error), id="lettr.E003")]
    if not mailers:
        if getattr(settings, "LETTR", None) is not None:
            return [
                checks.Warning(
                    "The LETTR setting is defined but no mailer uses lettr_django.EmailBackend.",
                    hint="Set EMAIL_BACKEND (Django 6.1: a MAILERS BACKEND) to "
                         "'lettr_django.EmailBackend'.",
                    id="lettr.W002",
                )
            ]
        return []
    found: list[checks.CheckMessage] = []
    for alias, options in mailers:
        try:
            found.extend(check_mailer(alias, options))
        except TypeError as error:  # an unknown option name
            found.append(checks.Error(f"{_where(alias)}: {error}", id="lettr.E003"))
    return found
