"""Shared test configuration."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI runs the properties on a fixed sequence of examples (a red CI must mean a regression, not
# a new random draw) and without per-example deadlines (the machines are shared and noisy);
# developers' runs stay random, to keep finding new cases.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None,
                                     print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# The dev server's fixtures (devserver, devserver_factory, devserver_api_key) live in the
# package, importable from anywhere (tox runs pytest without the repo root on sys.path).
pytest_plugins = ["lettr_core.devserver.pytest_plugin"]

# The SMTP test server fixtures (aiosmtpd + trustme: smtp_server, smtps_server,
# smtp_server_factory, smtp_ca, trust_smtp_ca) live in tests/smtp_server.py; importing the
# conftest of the `tests` package puts the repo root on sys.path, so this import works in tox.
from tests.smtp_server import (  # noqa: E402, F401  (fixtures)
    smtp_ca,
    smtp_server,
    smtp_server_factory,
    smtps_server,
    trust_smtp_ca,
)


@pytest.fixture(autouse=True)
def _clean_lettr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LETTR_* variable of the machine's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("LETTR_"):
            monkeypatch.delenv(name)
