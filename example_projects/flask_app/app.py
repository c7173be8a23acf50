"""A small shop written as a Flask-Mail app. Moving it to Lettr changed one import line.

- ``POST /signup`` (form field ``email``) sends a welcome message.
- ``flask --app app send-demo-mail`` sends an order confirmation (HTML, with a PDF invoice
  attached) and this month's newsletter to every subscriber over one connection.

Which wire the mail takes (SMTP, a 25% API share, all API) is settings only: see
``stages.py`` and ``DEMO_STAGE``.
"""

from __future__ import annotations

import click
from flask import Flask, request
from stages import mail_config

from lettr_flask import Mail, Message  # was: from flask_mail import Mail, Message

mail = Mail()

SUBSCRIBERS = ["farid@example.com", "grace@example.com", "hiro@example.com", "kim@example.com"]

INVOICE = b"%PDF-1.4\n% Acme Shop invoice 1042: 2 x tea, 1 x mug, total 31.50 EUR\n%%EOF\n"


def send_welcome(address: str) -> None:
    """A plain-text welcome message."""
    mail.send(Message(
        subject="Welcome to Acme Shop",
        recipients=[address],
        body="Thanks for signing up. Your first order ships free.",
    ))


def send_order_confirmation(address: str, order: int) -> None:
    """An HTML confirmation with a text alternative and the invoice attached."""
    msg = Message(subject=f"Your order {order} is confirmed", recipients=[address])
    msg.body = f"Order {order}: 2 x tea, 1 x mug. Total 31.50 EUR."
    msg.html = (
        f"<h1>Order {order}</h1><p>2 &times; tea, 1 &times; mug.</p>"
        "<p>Total <b>31.50 EUR</b>.</p>"
    )
    msg.attach(f"invoice-{order}.pdf", "application/pdf", INVOICE)
    mail.send(msg)


def send_newsletter(issue: str) -> int:
    """The newsletter, one message per subscriber over a single connection."""
    with mail.connect() as conn:
        for address in SUBSCRIBERS:
            conn.send(Message(
                subject=f"Acme news: {issue}",
                recipients=[address],
                body="New teas are in. Reply to unsubscribe.",
                html="<p>New teas are in.</p><p>Reply to unsubscribe.</p>",
            ))
    return len(SUBSCRIBERS)


def create_app() -> Flask:
    """The app, configured for the stage in ``DEMO_STAGE``."""
    app = Flask(__name__)
    app.config.from_mapping(mail_config())
    mail.init_app(app)

    @app.post("/signup")
    def signup() -> tuple[str, int]:
        send_welcome(request.form["email"])
        return "welcome mail sent\n", 201

    @app.cli.command("send-demo-mail")
    def send_demo_mail() -> None:
        """Send an order confirmation and the newsletter."""
        send_order_confirmation("emma@example.com", 1042)
        count = send_newsletter("spring teas")
        click.echo(f"flask_app: sent 1 order confirmation and {count} newsletters")

    return app
