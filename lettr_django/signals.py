"""Signals sent by :class:`lettr_django.EmailBackend` around each message.

``pre_send`` is sent before a message goes out, with ``message`` (the Django message),
``email`` (the :class:`lettr_core.Email` it became; a receiver may change it) and ``backend``.
A receiver cancels that one message by raising :class:`CancelSend` or by returning ``False``;
a cancelled message is neither sent nor counted, and ``message.lettr_result`` stays ``None``.

``post_send`` is sent after each message that was handed to Lettr, with ``message``,
``result`` (the :class:`lettr_core.SendResult`, or ``None`` when it failed), ``error`` (the
:class:`lettr_core.LettrError`, or ``None``) and ``backend``.

The ``sender`` of both is the backend's class.
"""

from __future__ import annotations

from django.dispatch import Signal

pre_send = Signal()
post_send = Signal()


class CancelSend(Exception):
    """Raise from a ``pre_send`` receiver to skip one message quietly."""
