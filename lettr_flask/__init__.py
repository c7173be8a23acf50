"""lettr_flask: a Flask-Mail-compatible extension that sends through Lettr (API or SMTP).

Migrating from Flask-Mail 0.10 is one import::

    from lettr_flask import Mail, Message   # was: from flask_mail import Mail, Message

With ``LETTR_API_KEY`` set (app config or environment) mail goes through Lettr's HTTP API;
without it, through SMTP with Flask-Mail's ``MAIL_*`` settings.
"""

from email.header import Header  # Flask-Mail's module exposes it; code imports it from there

from .connection import Connection
from .extension import Mail
from .helpers import (
    FlaskMailUnicodeDecodeError,
    force_text,
    sanitize_address,
    sanitize_addresses,
    sanitize_subject,
)
from .message import Attachment, BadHeaderError, Message
from .signals import email_dispatched, signals
from .state import MailState, _Mail

__all__ = [
    "Attachment",
    "BadHeaderError",
    "Connection",
    "FlaskMailUnicodeDecodeError",
    "Header",
    "Mail",
    "MailState",
    "Message",
    "_Mail",
    "email_dispatched",
    "force_text",
    "sanitize_address",
    "sanitize_addresses",
    "sanitize_subject",
    "signals",
]
