"""Shared by the ``lettr_*`` management commands: build the configured backend."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from ...settings import configured_mailers, mailers_enabled


def build_backend(alias: str | None = None) -> Any:
    """The project's Lettr backend (the MAILERS entry ``alias`` on Django 6.1+).

    Built directly, not through ``mail.get_connection``/``mail.mailers``: the command must
    talk to Lettr even where the project's email is routed elsewhere (e.g. under tests).
    """
    from ...backend import EmailBackend

    options: dict[str, Any] = {}
    if mailers_enabled():
        mailers = dict(configured_mailers())
        if alias is None:
            alias = "default" if "default" in mailers else next(iter(mailers), None)
        if alias is not None and alias not in mailers:
            raise CommandError(f"MAILERS has no alias {alias!r} that uses lettr_django")
        options = dict(mailers.get(alias, {}))
        options.pop("fail_silently", None)
    elif alias is not None:
        raise CommandError("--mailer needs Django 6.1's MAILERS setting")
    try:
        return EmailBackend(alias=alias, **options)
    except ImproperlyConfigured as error:
        raise CommandError(f"Lettr is not configured: {error}") from error
