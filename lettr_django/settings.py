"""Read Django settings into a :class:`lettr_core.LettrConfig`.

Sources, strongest first:

1. keyword arguments of the backend (Django 6.1: the ``OPTIONS`` of a ``MAILERS`` entry),
   in the lower-case ``LETTR`` spelling (``api_key``, ``transport``, ``smtp_host``...) or
   Django's SMTP-backend names (``host``, ``port``, ``username``, ``password``, ``use_tls``,
   ``use_ssl``, ``ssl_keyfile``, ``ssl_certfile``) for the SMTP door;
2. the ``LETTR`` dict setting (``API_KEY``, ``TRANSPORT``, ``SMTP_HOST``...);
3. ``LETTR_*`` environment variables;
4. for the SMTP door only, and only without ``MAILERS`` and without an alias: Django's own
   ``EMAIL_*`` settings, when ``EMAIL_HOST`` is *explicitly set* in the settings module
   (``settings.is_overridden("EMAIL_HOST")``; Django's default ``"localhost"`` does not count).
   Then ``EMAIL_PORT``, ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``,
   ``EMAIL_USE_SSL``, ``EMAIL_TIMEOUT`` and the SSL key/cert files come along with their
   Django values (defaults included: port 25, no TLS), so step 1 of a migration sends exactly
   where Django sent before. They are used as a group, and never when ``SMTP_HOST`` is given
   by a stronger source;
5. the defaults (Lettr's relay ``smtp.lettr.com:587`` with STARTTLS, user ``lettr``, the API key
   as password).

A bad value raises :class:`LettrImproperlyConfigured` (an ``ImproperlyConfigured``) naming the
setting to fix, when the backend is built.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import django
from django.conf import global_settings, settings
from django.core.exceptions import ImproperlyConfigured

from lettr_core import LettrConfig
from lettr_core.config import is_loopback_host
from lettr_core.errors import ConfigurationError

#: the lower-case knob names of :class:`LettrConfig` (keyword arguments / MAILERS OPTIONS)
KNOBS: tuple[str, ...] = tuple(LettrConfig.__dataclass_fields__)

#: Django SMTP-backend option names and the knob each one sets
DJANGO_SMTP_OPTIONS = {
    "host": "smtp_host",
    "port": "smtp_port",
    "username": "smtp_username",
    "password": "smtp_password",
    "ssl_keyfile": "smtp_ssl_keyfile",
    "ssl_certfile": "smtp_ssl_certfile",
}
#: Django's TLS switches, turned into ``smtp_security``
TLS_OPTIONS = ("use_tls", "use_ssl")

#: every keyword option the backend takes besides ``fail_silently`` and ``alias``
OPTION_NAMES: tuple[str, ...] = (*KNOBS, *DJANGO_SMTP_OPTIONS, *TLS_OPTIONS)

#: the Django settings read for the SMTP door, and the knob each one sets
EMAIL_SETTINGS = {
    "EMAIL_HOST": "smtp_host",
    "EMAIL_PORT": "smtp_port",
    "EMAIL_HOST_USER": "smtp_username",
    "EMAIL_HOST_PASSWORD": "smtp_password",
    "EMAIL_TIMEOUT": "smtp_timeout",
    "EMAIL_SSL_KEYFILE": "smtp_ssl_keyfile",
    "EMAIL_SSL_CERTFILE": "smtp_ssl_certfile",
}
BACKEND_PATHS = ("lettr_django.EmailBackend", "lettr_django.backend.EmailBackend")


class LettrImproperlyConfigured(ImproperlyConfigured):
    """A Lettr setting is missing or invalid; ``setting`` names it as the user wrote it."""

    def __init__(self, message: str, *, setting: str | None = None, knob: str | None = None):
        super().__init__(message)
        self.setting = setting
        self.knob = knob


def mailers_enabled() -> bool:
    """True on Django 6.1+ when the project defines ``MAILERS``."""
    return django.VERSION >= (6, 1) and hasattr(settings, "MAILERS")


def django_setting(name: str) -> Any:
    """A Django setting, read without tripping Django 6.1's deprecation machinery.

    A setting the project does not set is taken from Django's global defaults directly, so
    reading a default ``EMAIL_*`` never warns; one the project sets is read normally.
    """
    if settings.is_overridden(name):
        return getattr(settings, name)
    return getattr(global_settings, name, None)


def lettr_setting() -> dict[str, Any]:
    """The ``LETTR`` dict setting (empty when unset)."""
    value = getattr(settings, "LETTR", None)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise LettrImproperlyConfigured(
            f"the LETTR setting must be a dict, not {type(value).__name__}", setting="LETTR"
        )
    return dict(value)


def _label(knob: str, source: str, alias: str | None) -> str:
    if source == "option":
        if alias is not None:
            return f"MAILERS[{alias!r}]['OPTIONS'][{knob!r}]"
        return f"the backend's {knob!r} argument"
    if source == "lettr":
        return f"LETTR[{knob.upper()!r}]"
    if source == "env":
        return f"the LETTR_{knob.upper()} environment variable"
    if source.startswith("EMAIL_"):
        return source
    return knob.upper()


def translate_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword options -> knobs: drop ``None`` (= not given), map Django's SMTP names."""
    knobs: dict[str, Any] = {}
    for name, value in options.items():
        if value is None or name in TLS_OPTIONS:
            continue
        knob = DJANGO_SMTP_OPTIONS.get(name, name)
        if knob not in KNOBS:
            raise TypeError(f"unknown Lettr option {name!r}")
        knobs[knob] = value
    use_tls, use_ssl = options.get("use_tls"), options.get("use_ssl")
    if (use_tls is not None or use_ssl is not None) and "smtp_security" not in knobs:
        if use_tls and use_ssl:
            raise LettrImproperlyConfigured(
                "use_tls and use_ssl are mutually exclusive: set at most one of them to True",
                setting="use_tls/use_ssl", knob="smtp_security",
            )
        knobs["smtp_security"] = "ssl" if use_ssl else "starttls" if use_tls else "none"
    return knobs


def email_settings(*, security: bool = True) -> dict[str, Any]:
    """Django's ``EMAIL_*`` as SMTP knobs when ``EMAIL_HOST`` is explicitly set, else ``{}``.

    With ``security`` (the TLS mode is not set elsewhere), raises
    :class:`LettrImproperlyConfigured` for TLS and SSL both on, or for neither to a host that
    is not loopback (lettr-mail never sends in plaintext over a network).
    """
    if mailers_enabled() or not settings.is_overridden("EMAIL_HOST"):
        return {}
    knobs: dict[str, Any] = {}
    for name, knob in EMAIL_SETTINGS.items():
        value = django_setting(name)
        if value is not None:
            knobs[knob] = value
    if not security:
        return knobs
    use_tls = bool(django_setting("EMAIL_USE_TLS"))
    use_ssl = bool(django_setting("EMAIL_USE_SSL"))
    if use_tls and use_ssl:
        raise LettrImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are mutually exclusive: set only one of them to "
            "True (EMAIL_USE_TLS for STARTTLS, usually port 587; EMAIL_USE_SSL for implicit "
            "TLS, usually port 465)",
            setting="EMAIL_USE_TLS", knob="smtp_security",
        )
    host = str(knobs.get("smtp_host") or "")
    if not use_tls and not use_ssl and not is_loopback_host(host):
        raise LettrImproperlyConfigured(
            f"EMAIL_HOST {host!r} is not a loopback host and both EMAIL_USE_TLS and "
            "EMAIL_USE_SSL are False: lettr-mail requires TLS to any other host. Set "
            "EMAIL_USE_TLS = True (STARTTLS, usually port 587) or EMAIL_USE_SSL = True "
            "(implicit TLS, usually port 465), or set LETTR['SMTP_HOST'] to use Lettr's relay",
            setting="EMAIL_USE_TLS", knob="smtp_security",
        )
    knobs["smtp_security"] = "ssl" if use_ssl else "starttls" if use_tls else "none"
    return knobs


def build_config(
    options: Mapping[str, Any] | None = None,
    *,
    alias: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LettrConfig:
    """Build the backend's :class:`LettrConfig` from every source (see the module docstring).

    ``alias`` is the ``MAILERS`` alias the backend is built for (``None`` without MAILERS);
    with an alias, no ``EMAIL_*`` setting is read.
    """
    env = os.environ if environ is None else environ
    knobs = translate_options(options or {})
    lettr = lettr_setting()
    sources: dict[str, str] = {knob: "option" for knob in knobs}
    for key in lettr:
        sources.setdefault(str(key).lower(), "lettr")
    for knob in KNOBS:
        if env.get(f"LETTR_{knob.upper()}"):
            sources.setdefault(knob, "env")
    if alias is None and "smtp_host" not in sources:
        reverse = {knob: name for name, knob in EMAIL_SETTINGS.items()}
        for knob, value in email_settings(security="smtp_security" not in sources).items():
            if knob not in sources:
                knobs[knob] = value
                sources[knob] = reverse.get(knob, "EMAIL_USE_TLS")
    try:
        return LettrConfig.from_mapping(lettr, environ=env, **knobs)
    except ConfigurationError as error:
        knob = (error.setting or "").lower()
        setting = _label(knob, sources.get(knob, ""), alias) if knob else None
        if knob == "api_key" and knob not in sources:
            where = (
                f"MAILERS[{alias!r}]['OPTIONS']['api_key']" if alias is not None
                else "LETTR['API_KEY']"
            )
            message = f"{error} (set {where} or the LETTR_API_KEY environment variable)"
        else:
            message = f"{setting}: {error}" if setting else str(error)
        raise LettrImproperlyConfigured(message, setting=setting, knob=knob or None) from None


def configured_mailers() -> list[tuple[str | None, dict[str, Any]]]:
    """Every configuration that uses this backend: ``(alias, options)`` pairs.

    Reads ``MAILERS`` on Django 6.1+ when it is defined, else ``EMAIL_BACKEND`` (without
    MAILERS, the alias is ``None`` and the options are empty).
    """
    if mailers_enabled():
        found: list[tuple[str | None, dict[str, Any]]] = []
        for alias, entry in dict(settings.MAILERS).items():
            if isinstance(entry, Mapping) and entry.get("BACKEND") in BACKEND_PATHS:
                found.append((str(alias), dict(entry.get("OPTIONS") or {})))
        return found
    if django_setting("EMAIL_BACKEND") in BACKEND_PATHS:
        return [(None, {})]
    return []
