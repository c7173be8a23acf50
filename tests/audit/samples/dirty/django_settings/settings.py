"""A Django settings module that sends through SMTP with credentials in the code."""

BASE_DIR = "/srv/site"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "smtp.example.com"
EMAIL_PORT = 587
EMAIL_USE_TLS = True
EMAIL_HOST_USER = "mailer@example.com"
EMAIL_HOST_PASSWORD = "hunter2"

LETTR = {
    "API_KEY": "lttr_0000000000000000000000000000000000000000000000000000000000000000",
}
