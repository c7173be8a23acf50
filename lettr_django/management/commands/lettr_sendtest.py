"""``manage.py lettr_sendtest``: send a test message through a chosen door."""

from __future__ import annotations

import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lettr_core import LettrError

from ...message import LettrEmailMessage
from ._common import build_backend


class Command(BaseCommand):
    """Sends one test message through Lettr's API or SMTP door and prints the request id."""

    help = "Send a test email through Lettr and print the request id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("recipients", nargs="+", help="Where to send the test message.")
        parser.add_argument(
            "--transport", choices=("api", "smtp"), default=None,
            help="The door to use (default: what the router chooses).",
        )
        parser.add_argument("--from", dest="from_email", default=None,
                            help="Sender (default: DEFAULT_FROM_EMAIL).")
        parser.add_argument("--mailer", default=None,
                            help="MAILERS alias to use (Django 6.1+).")

    def handle(self, *args: Any, **options: Any) -> None:
        backend = build_backend(options["mailer"])
        message = LettrEmailMessage(
            subject=f"Lettr test message from {socket.gethostname()}",
            body=f"This is a test message sent by lettr_sendtest at {timezone.now():%c}.",
            from_email=options["from_email"] or settings.DEFAULT_FROM_EMAIL,
            to=options["recipients"],
            lettr_transport=options["transport"],
        )
        try:
            backend.send_messages([message])
        except LettrError as error:
            raise CommandError(f"Sending failed: {error}") from error
        result = message.lettr_result
        if result is None:
            raise CommandError("The message was not sent (cancelled by a pre_send receiver?)")
        if result.request_id:
            self.stdout.write(self.style.SUCCESS(
                f"Sent through the {result.transport} door: request id {result.request_id} "
                f"(accepted {result.accepted}, rejected {result.rejected})"
            ))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Sent through the {result.transport} door (SMTP has no request id; "
                f"accepted {result.accepted}, rejected {result.rejected})"
            ))
