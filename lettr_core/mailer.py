"""The router (to be written: issue 3)."""

from __future__ import annotations


class Mailer:
    """Chooses the API or SMTP door per message."""
