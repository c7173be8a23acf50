"""Names the checks recognise: mail settings, mail APIs, and what an EMAIL_BACKEND means."""

from __future__ import annotations

from .credentials import name_tokens

#: Django settings that configure SMTP sending (``EMAIL_*``).
DJANGO_EMAIL_SETTINGS = frozenset({
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "EMAIL_SSL_CERTFILE", "EMAIL_SSL_KEYFILE",
    "EMAIL_URL",
})  # fmt: skip

#: Flask-Mail's settings (``MAIL_*``).
FLASK_MAIL_SETTINGS = frozenset({
    "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER", "MAIL_MAX_EMAILS", "MAIL_SUPPRESS_SEND", "MAIL_ASCII_ATTACHMENTS",
    "MAIL_DEBUG",
})  # fmt: skip

#: Calls that open an SMTP connection directly.
SMTP_CONSTRUCTORS = frozenset({
    "smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP", "aiosmtplib.SMTP", "aiosmtplib.send",
})  # fmt: skip

#: ``django.core.mail`` functions and classes that send mail.
DJANGO_MAIL_NAMES = frozenset({
    "send_mail", "send_mass_mail", "mail_admins", "mail_managers", "get_connection",
    "EmailMessage", "EmailMultiAlternatives",
})  # fmt: skip
#: Of those, the functions that open a new connection on every call (unless given one).
DJANGO_CONNECTION_OPENERS = frozenset({
    "send_mail", "send_mass_mail", "mail_admins", "mail_managers", "get_connection",
})  # fmt: skip
#: Of those, the functions that take ``html_message=``.
DJANGO_HTML_MESSAGE_FUNCS = frozenset({"send_mail", "mail_admins", "mail_managers"})
DJANGO_MESSAGE_CLASSES = frozenset({"EmailMessage", "EmailMultiAlternatives"})

_DEV_BACKENDS = ("console", "locmem", "filebased", "dummy")
_HOST_WORDS = {"HOST", "SERVER", "RELAY", "HOSTNAME", "URL"}
_MAIL_WORDS = {"SMTP", "MAIL", "EMAIL", "MAILER"}


def is_django_mail(qualname: str | None) -> str | None:
    """The ``django.core.mail`` name behind ``qualname`` (``send_mail``...), or None."""
    if not qualname or not qualname.startswith("django.core.mail."):
        return None
    last = qualname.rsplit(".", 1)[-1]
    return last if last in DJANGO_MAIL_NAMES else None


def setting_kind(name: str, value: str | None = None) -> str | None:
    """The finding kind for a setting called ``name`` (any case, dotted path allowed)."""
    leaf = name.rsplit(".", 1)[-1].upper()
    if leaf in DJANGO_EMAIL_SETTINGS:
        return "django-email-setting"
    if leaf in FLASK_MAIL_SETTINGS:
        return "flask-mail-setting"
    tokens = name_tokens(name)
    if not tokens or tokens[-1] not in _HOST_WORDS:
        return None
    if _MAIL_WORDS.intersection(tokens):
        return "smtp-setting"
    if value and value.strip().lower().startswith(("smtp.", "smtp://", "smtps://")):
        return "smtp-setting"
    return None


_SETTING_LABELS = {"django-email-setting": "Django", "flask-mail-setting": "Flask-Mail"}


def setting_message(kind: str, name: str) -> str:
    """``EMAIL_HOST: Django mail setting``; never the value (it may be a password)."""
    return f"{name}: {_SETTING_LABELS.get(kind, 'SMTP')} mail setting"


def email_backend_message(value: str | None) -> str | None:
    """What an ``EMAIL_BACKEND`` value means for the migration; None when nothing to do."""
    if value is None:
        return "EMAIL_BACKEND is computed at run time: make it lettr_django.EmailBackend"
    if value.startswith("lettr_django"):
        return None
    if any(f".backends.{dev}." in value for dev in _DEV_BACKENDS):
        return None  # development/test backends stay as they are
    if value == "django.core.mail.backends.smtp.EmailBackend":
        return "EMAIL_BACKEND is Django's SMTP backend"
    if value.startswith("anymail."):
        return (
            "EMAIL_BACKEND is a django-anymail backend: lettr_django accepts anymail's "
            "attribute names (tags, metadata, template_id, merge_global_data)"
        )
    return f"EMAIL_BACKEND is {value}"
