"""The app's mail settings for each stage of the move to Lettr, chosen by ``DEMO_STAGE``.

Nothing here is a secret: keys and passwords come from the environment.

- ``smtp``  (stage 1): the Flask-Mail settings the app always had, ``MAIL_SERVER`` & co.;
  ``LETTR_TRANSPORT = "smtp"`` keeps every message on SMTP even once a key is set.
- ``split`` (stage 2): a Lettr key is required (``LETTR_API_KEY`` in the environment) and 25%
  of the recipients, chosen stably per address, go through the API; the rest still take SMTP,
  which is also the fallback when the API is down.
- ``api``   (stage 3): everything through Lettr's API.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

STAGES = ("smtp", "split", "api")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def mail_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``app.config`` keys for the stage named by ``DEMO_STAGE`` (default ``smtp``)."""
    env = os.environ if environ is None else environ
    stage = env.get("DEMO_STAGE", "smtp")
    if stage not in STAGES:
        raise RuntimeError(f"DEMO_STAGE must be one of {', '.join(STAGES)}, not {stage!r}")
    config: dict[str, Any] = {
        # Flask-Mail's own settings: the SMTP server the app used before Lettr
        "MAIL_SERVER": env.get("MAIL_SERVER", "smtp.lettr.com"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS"), True),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", "lettr"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        # with real Lettr the sender's domain must be verified (a sandbox key needs none)
        "MAIL_DEFAULT_SENDER": ("Acme Shop", env.get("MAIL_DEFAULT_SENDER", "shop@acme.example")),
    }
    # LETTR_API_KEY and LETTR_API_URL are read from the environment by lettr_flask;
    # LETTR_TRANSPORT "api" makes a missing key an error instead of a quiet fall back to SMTP.
    if stage == "smtp":
        config["LETTR_TRANSPORT"] = "smtp"
    elif stage == "split":
        config["LETTR_TRANSPORT"] = "api"
        config["LETTR_API_PERCENT"] = 25
        config["LETTR_FALLBACK_TO_SMTP"] = True
    else:  # every message through the API (LETTR_API_PERCENT defaults to 100)
        config["LETTR_TRANSPORT"] = "api"
    return config
