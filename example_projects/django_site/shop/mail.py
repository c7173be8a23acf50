"""The shop's mail, written the ordinary Django way: nothing here knows about Lettr."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives, mail_admins, send_mail

INVOICE = b"%PDF-1.4\n% Acme Shop invoice 2001: 1 x kettle, total 49.00 EUR\n%%EOF\n"


def send_welcome(address: str) -> int:
    """A plain-text welcome message."""
    return send_mail(
        "Welcome to Acme Shop",
        "Thanks for signing up. Your first order ships free.",
        None,  # DEFAULT_FROM_EMAIL
        [address],
    )


def send_receipt(address: str, order: int) -> int:
    """An HTML receipt with a text alternative and the invoice attached."""
    message = EmailMultiAlternatives(
        subject=f"Receipt for order {order}",
        body=f"Order {order}: 1 x kettle. Total 49.00 EUR.",
        to=[address],
        reply_to=["help@acme.example"],
    )
    message.attach_alternative(
        f"<h1>Order {order}</h1><p>1 &times; kettle.</p><p>Total <b>49.00 EUR</b>.</p>",
        "text/html",
    )
    message.attach(f"invoice-{order}.pdf", INVOICE, "application/pdf")
    return message.send()


def report_low_stock(item: str, left: int) -> None:
    """Tell the site's ADMINS."""
    mail_admins(f"Low stock: {item}", f"Only {left} left of {item}.")
