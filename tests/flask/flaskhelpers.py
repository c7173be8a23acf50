"""Helpers shared by the Flask adapter tests (imported as a top-level module)."""

from __future__ import annotations

from typing import Any

from flask import Flask

KEY = "lttr_" + "0" * 64
OTHER_KEY = "lttr_" + "1" * 64
API = "https://app.lettr.com/api"


def make_app(name: str = "app", **config: Any) -> Flask:
    """A Flask app with ``config``; tests pace the API fast and do not retry unless asked."""
    app = Flask(name)
    app.config.update(
        {"LETTR_RATE_LIMIT": 1000, "LETTR_MAX_RETRIES": 0, "MAIL_DEFAULT_SENDER": "app@example.com"}
    )
    app.config.update(config)
    return app
