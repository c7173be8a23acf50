"""``manage.py lettr_check``: ask Lettr whether the configured API key is valid."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lettr_core import LettrError

from ._common import build_backend


class Command(BaseCommand):
    """Calls ``GET /auth/check`` with the configured key and prints the team id."""

    help = "Check the Lettr API key: prints the team id, or a clear error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailer", default=None, help="MAILERS alias to check (Django 6.1+)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = build_backend(options["mailer"])
        if not backend.config.api_key:
            raise CommandError(
                "No Lettr API key is set: set LETTR['API_KEY'] or LETTR_API_KEY."
            )
        mailer = backend.mailer
        check = getattr(mailer, "check_auth", None) or mailer.api.check_auth
        try:
            data = check()
        except LettrError as error:
            raise CommandError(f"Lettr refused the check: {error}") from error
        finally:
            backend.close()
        team = data.get("team_id")
        self.stdout.write(
            self.style.SUCCESS(f"API key is valid: team {team} ({backend.config.api_url})")
        )
