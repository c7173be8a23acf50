"""``manage.py send_demo_mail``: the shop's three kinds of mail, as the demo sends them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shop import mail

CUSTOMERS = ["ann@example.com", "chloe@example.com"]


class Command(BaseCommand):
    help = "Send welcome messages, a receipt with an invoice, and a low-stock alert to ADMINS."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = sum(mail.send_welcome(address) for address in CUSTOMERS)
        sent += mail.send_receipt("bob@example.com", 2001)
        mail.report_low_stock("kettle", 3)
        sent += 1
        self.stdout.write(f"django_site: sent {sent} messages")
