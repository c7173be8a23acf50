"""The HTTP API transport (being written)."""

from __future__ import annotations


class ApiTransport:
    """Sends :class:`~lettr_core.Email` through Lettr's HTTP API."""
