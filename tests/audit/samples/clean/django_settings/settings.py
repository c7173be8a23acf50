"""The same project on Lettr: backend by settings, the key from the environment."""

import os

BASE_DIR = "/srv/site"

EMAIL_BACKEND = "lettr_django.EmailBackend"

LETTR = {
    "API_KEY": os.environ["LETTR_API_KEY"],
    "SMTP_PASSWORD": os.environ.get("LETTR_SMTP_PASSWORD", ""),
}
