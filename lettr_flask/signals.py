"""The ``email_dispatched`` signal, as in Flask-Mail.

Sent after every message handed to a :class:`~lettr_flask.Connection` (also when sending is
suppressed), with the application as sender and ``message=`` the message.
"""

from __future__ import annotations

import blinker

signals: blinker.Namespace = blinker.Namespace()

email_dispatched: blinker.NamedSignal = signals.signal(
    "email-dispatched",
    doc="Sent when an email is dispatched, also when sending is suppressed (testing).",
)
