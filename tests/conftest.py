"""Shared test configuration.

The SMTP test server fixtures (aiosmtpd + trustme) live in ``tests/smtp_server.py`` and are
imported here so every test package can use them.
"""

from tests.smtp_server import (  # noqa: F401  (fixtures)
    smtp_ca,
    smtp_server,
    smtp_server_factory,
    smtps_server,
    trust_smtp_ca,
)
