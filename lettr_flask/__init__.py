"""lettr_flask: a Flask-Mail-compatible extension that sends through Lettr (API or SMTP).

Migrating from Flask-Mail 0.10 is one import::

    from lettr_flask import Mail, Message   # was: from flask_mail import Mail, Message

With ``LETTR_API_KEY`` set (app config or environment) mail goes through Lettr's HTTP API;
without it, through SMTP with Flask-Mail's ``MAIL_*`` settings.

Configuration (``app.config``):

- Flask-Mail's keys, same defaults: ``MAIL_SERVER`` (127.0.0.1), ``MAIL_PORT`` (25),
  ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
  ``MAIL_DEFAULT_SENDER``, ``MAIL_DEBUG`` (app.debug), ``MAIL_MAX_EMAILS``,
  ``MAIL_SUPPRESS_SEND`` (app.testing), ``MAIL_ASCII_ATTACHMENTS``. They drive the SMTP door
  when ``MAIL_SERVER`` is set or no API key is; plaintext (neither TLS nor SSL) is allowed
  only to a loopback host.
- Lettr's keys: ``LETTR_<KNOB>`` for every knob of :class:`lettr_core.LettrConfig`, e.g.
  ``LETTR_API_KEY``, ``LETTR_API_URL``, ``LETTR_TRANSPORT``, ``LETTR_API_PERCENT``,
  ``LETTR_FALLBACK_TO_SMTP``, ``LETTR_MAX_RETRIES``, ``LETTR_TIMEOUT``, ``LETTR_RATE_LIMIT``,
  ``LETTR_SEND_DEFAULTS``, ``LETTR_SMTP_TIMEOUT``; a missing one falls back to the
  environment variable of the same name. An unknown ``LETTR_*`` key is an error.

Commands: ``flask lettr check``, ``flask lettr send-test RECIPIENT``,
``flask lettr audit [PATH]``.
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
