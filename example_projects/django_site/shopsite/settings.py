"""Settings of the example shop site.

The mail settings show the three stages of a move from SMTP to Lettr, chosen by the
``DEMO_STAGE`` environment variable. The application's mail code (``shop/mail.py``) is the
same in every stage: ``send_mail``, ``EmailMultiAlternatives``, ``mail_admins``.

- ``smtp``  (stage 1): Lettr's backend, but every message still goes through the SMTP server
  the site already had (the ``EMAIL_*`` settings below).
- ``split`` (stage 2): with a Lettr key, 25% of the recipients (chosen stably per address) go
  through Lettr's API, the rest through SMTP, which is also the fallback if the API is down.
- ``api``   (stage 3): everything through Lettr's API.

No secret is written here: keys and passwords come from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

# From the environment, like every secret; this example uses no sessions, so a random one will do.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or get_random_secret_key()
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "lettr_django",  # optional: `manage.py check` validates the mail settings
    "shop",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "shopsite.urls"
DATABASES: dict[str, Any] = {}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- mail ---------------------------------------------------------------------------------

# With real Lettr the sender's domain must be verified (a sandbox key needs none).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Acme Shop <shop@acme.example>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", "alerts@acme.example")
ADMINS = [("Acme Ops", "admin@acme.example")]

# The SMTP server the site used before Lettr (stage 1 and the SMTP share of stage 2).
# Lettr's own relay works here too: smtp.lettr.com, user "lettr", password = the API key.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "smtp.lettr.com")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "lettr")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1") == "1"

STAGES = ("smtp", "split", "api")
DEMO_STAGE = os.environ.get("DEMO_STAGE", "smtp")
if DEMO_STAGE not in STAGES:
    raise RuntimeError(f"DEMO_STAGE must be one of {', '.join(STAGES)}, not {DEMO_STAGE!r}")

# Django 6.1 also accepts this as MAILERS = {"default": {"BACKEND": "lettr_django.EmailBackend",
# "OPTIONS": {...}}} with the same knobs in lower case; EMAIL_BACKEND works on 5.2 to 6.1.
EMAIL_BACKEND = "lettr_django.EmailBackend"
# API_KEY and API_URL are left to the LETTR_API_KEY / LETTR_API_URL environment variables;
# TRANSPORT "api" makes a missing key an error instead of a quiet fall back to SMTP.
LETTR: dict[str, Any]
if DEMO_STAGE == "smtp":  # stage 1: our backend, the old SMTP server, nothing else changes
    LETTR = {"TRANSPORT": "smtp"}
elif DEMO_STAGE == "split":  # stage 2: a quarter of the recipients through the API
    LETTR = {"TRANSPORT": "api", "API_PERCENT": 25, "FALLBACK_TO_SMTP": True}
else:  # stage 3: every message through the API (API_PERCENT defaults to 100)
    LETTR = {"TRANSPORT": "api"}
