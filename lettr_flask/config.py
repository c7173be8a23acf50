"""Read a Flask app's configuration: Flask-Mail's ``MAIL_*`` keys and Lettr's ``LETTR_*``.

``LETTR_<KNOB>`` keys are the knobs of :class:`~lettr_core.LettrConfig` with a ``LETTR_``
prefix (``LETTR_API_KEY``, ``LETTR_TRANSPORT``, ``LETTR_API_PERCENT``, ...); an unknown
``LETTR_*`` key is a :class:`~lettr_core.ConfigurationError`, so a typo is caught.

The SMTP door takes Flask-Mail's ``MAIL_SERVER``/``MAIL_PORT``/``MAIL_USE_TLS``/
``MAIL_USE_SSL``/``MAIL_USERNAME``/``MAIL_PASSWORD`` when ``MAIL_SERVER`` is set, or when no
API key is set (then with Flask-Mail's defaults, ``127.0.0.1:25``); with a key and no
``MAIL_SERVER`` it goes to Lettr's relay. ``LETTR_SMTP_*`` keys win over ``MAIL_*``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lettr_core import ConfigurationError, LettrConfig
from lettr_core.config import is_loopback_host

PREFIX = "LETTR_"

#: Flask-Mail's keys and defaults (``MAIL_DEBUG`` and ``MAIL_SUPPRESS_SEND`` default to the
#: app's ``debug`` and ``testing``)
MAIL_DEFAULTS: dict[str, Any] = {
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_DEFAULT_SENDER": None,
    "MAIL_MAX_EMAILS": None,
    "MAIL_ASCII_ATTACHMENTS": False,
}


@dataclass(frozen=True)
class MailSettings:
    """Flask-Mail's state fields, read from ``MAIL_*`` with Flask-Mail's defaults."""

    server: str
    username: str | None
    password: str | None
    port: int | None
    use_tls: bool
    use_ssl: bool
    default_sender: Any
    debug: int
    max_emails: int | None
    suppress: bool
    ascii_attachments: bool

    def __repr__(self) -> str:
        return (
            f"MailSettings(server={self.server!r}, port={self.port!r}, "
            f"use_tls={self.use_tls!r}, use_ssl={self.use_ssl!r}, "
            f"username={self.username!r}, password={'***' if self.password else None})"
        )


def read_mail_settings(
    config: Mapping[str, Any], debug: bool | int = False, testing: bool = False
) -> MailSettings:
    """Flask-Mail's state fields from ``config``."""

    def get(key: str) -> Any:
        return config.get(key, MAIL_DEFAULTS[key])

    return MailSettings(
        server=get("MAIL_SERVER"),
        username=get("MAIL_USERNAME"),
        password=get("MAIL_PASSWORD"),
        port=get("MAIL_PORT"),
        use_tls=get("MAIL_USE_TLS"),
        use_ssl=get("MAIL_USE_SSL"),
        default_sender=get("MAIL_DEFAULT_SENDER"),
        debug=int(config.get("MAIL_DEBUG", debug)),
        max_emails=get("MAIL_MAX_EMAILS"),
        suppress=config.get("MAIL_SUPPRESS_SEND", testing),
        ascii_attachments=get("MAIL_ASCII_ATTACHMENTS"),
    )


def lettr_mapping(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``LETTR_*`` keys of ``config`` in ``LettrConfig.from_mapping`` spelling."""
    return {
        key[len(PREFIX):]: value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(PREFIX)
    }


def _smtp_from_mail_settings(
    settings: MailSettings, explicit: Mapping[str, Any]
) -> dict[str, Any]:
    host = str(explicit.get("SMTP_HOST") or settings.server)
    knobs: dict[str, Any] = {"SMTP_HOST": host, "SMTP_PORT": settings.port}
    if settings.username and settings.password:
        knobs["SMTP_USERNAME"] = settings.username
        knobs["SMTP_PASSWORD"] = settings.password
    else:
        # Flask-Mail logs in only with both set; an empty password keeps the core from
        # offering the API key (it does so only to Lettr's relay or a loopback dev server)
        knobs["SMTP_PASSWORD"] = ""
    if "SMTP_SECURITY" in explicit:
        return knobs
    if settings.use_tls and settings.use_ssl:
        raise ConfigurationError(
            "MAIL_USE_TLS and MAIL_USE_SSL are both True: choose one "
            "(MAIL_USE_SSL for implicit TLS on port 465, MAIL_USE_TLS for STARTTLS)",
            setting="MAIL_USE_TLS",
        )
    security = "ssl" if settings.use_ssl else "starttls" if settings.use_tls else "none"
    if security == "none" and not is_loopback_host(host):
        raise ConfigurationError(
            f"MAIL_USE_TLS and MAIL_USE_SSL are both False, and plaintext SMTP is only allowed "
            f"to a loopback host, not {host!r}: set MAIL_USE_TLS = True (STARTTLS) or "
            f"MAIL_USE_SSL = True (implicit TLS)",
            setting="MAIL_USE_TLS",
        )
    knobs["SMTP_SECURITY"] = security
    return knobs


def build_lettr_config(
    config: Mapping[str, Any],
    settings: MailSettings,
    *,
    environ: Mapping[str, str] | None = None,
) -> LettrConfig:
    """The core configuration for an app: ``LETTR_*`` keys, the environment, ``MAIL_*``."""
    env = os.environ if environ is None else environ
    mapping = lettr_mapping(config)
    has_key = bool(mapping.get("API_KEY") or env.get("LETTR_API_KEY"))
    if "MAIL_SERVER" in config or not has_key:
        for knob, value in _smtp_from_mail_settings(settings, mapping).items():
            mapping.setdefault(knob, value)
    return LettrConfig.from_mapping(mapping, environ=env)
