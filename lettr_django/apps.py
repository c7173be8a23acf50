"""``lettr_django`` as an app (optional in ``INSTALLED_APPS``): system checks and commands."""

from __future__ import annotations

from django.apps import AppConfig


class LettrDjangoConfig(AppConfig):
    """Registers the ``lettr.*`` system checks."""

    name = "lettr_django"
    label = "lettr_django"
    verbose_name = "Lettr email"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
