"""The SMTP transport (to be written: issue 3)."""

from __future__ import annotations


class SmtpTransport:
    """Sends :class:`~lettr_core.Email` through an SMTP relay (Lettr's by default)."""
