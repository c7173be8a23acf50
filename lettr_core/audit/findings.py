"""What ``lettr audit`` can report: finding kinds, their severity, and our advice for each.

Severities, from mild to blocking:

- ``info``: nothing to change in code; the call or setting moves to Lettr by settings alone, or
  the finding is a suggestion (Lettr templates) or a note (a file the audit could not read).
- ``change``: the code needs an edit before it goes through Lettr's API (usually small).
- ``blocker``: one of the mistakes Lettr's migration guide warns about that must be fixed first,
  whatever the transport: a hard-coded credential, or SMTP inside a serverless function.
  ``--strict`` fails (exit 1) when at least one blocker is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "change", "blocker"]

#: Severities from mild to blocking, the order used by summaries.
SEVERITIES: tuple[Severity, ...] = ("info", "change", "blocker")


@dataclass(frozen=True)
class KindInfo:
    """A finding kind: its fixed severity, a short title and the default advice."""

    severity: Severity
    title: str
    advice: str


_BACKEND = 'EMAIL_BACKEND = "lettr_django.EmailBackend"'

#: Every finding kind, by its stable id (used in JSON output and by CI filters).
KINDS: dict[str, KindInfo] = {
    "django-mail-call": KindInfo(
        "info",
        "Django mail call (switches by settings alone)",
        f"No code change: with {_BACKEND} this call goes through Lettr. Lettr extras "
        "(template_id, metadata, tags, send_at, ...) can be set as attributes on any "
        "EmailMessage, or use lettr_django.LettrEmailMessage.",
    ),
    "django-email-setting": KindInfo(
        "info",
        "Django EMAIL_* setting",
        f"Set {_BACKEND}. The existing EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/"
        'EMAIL_HOST_PASSWORD keep working with LETTR = {"TRANSPORT": "smtp"} during the '
        'migration; add LETTR = {"API_KEY": os.environ["LETTR_API_KEY"]} to move to the API '
        "(raise API_PERCENT from 0 to 100 to move gradually).",
    ),
    "flask-mail-setting": KindInfo(
        "info",
        "Flask-Mail MAIL_* setting",
        "lettr_flask reads the same MAIL_* settings for its SMTP wire; set LETTR_API_KEY "
        '(from the environment) to send through the API, LETTR_TRANSPORT = "smtp" to keep '
        "SMTP for now.",
    ),
    "smtp-setting": KindInfo(
        "info",
        "SMTP server setting",
        'Lettr\'s relay is smtp.lettr.com (465 implicit TLS, or 587 STARTTLS), user "lettr", '
        "password = your API key read from the environment. Better: send through the API with "
        "lettr_django / lettr_flask / lettr_core and drop the SMTP settings.",
    ),
    "flask-mail-import": KindInfo(
        "change",
        "Flask-Mail import (a one-line change)",
        "Replace the import with `from lettr_flask import Mail, Message`: same API, the MAIL_* "
        "settings still apply; set LETTR_API_KEY to send through Lettr's API.",
    ),
    "smtplib-direct": KindInfo(
        "change",
        "direct smtplib use",
        "Replace with lettr_core: build lettr_core.Email(...) and send it with "
        "lettr_core.Mailer(lettr_core.LettrConfig.from_mapping({...})) (API key from "
        "LETTR_API_KEY) - or send through your framework's mail API with lettr_django / "
        "lettr_flask. Errors stay smtplib.SMTPException subclasses, so except clauses keep "
        "working.",
    ),
    "smtp-connection-in-loop": KindInfo(
        "change",
        "SMTP connection opened inside a loop",
        "Not reusing SMTP connections: open one connection before the loop and send every "
        "message through it (Django: connection = get_connection() and connection=..., or "
        "send_mass_mail / send_messages; Flask: `with mail.connect() as conn: conn.send(msg)`; "
        "smtplib: one SMTP session for all messages). With the Lettr backends one open "
        "connection also reuses one HTTP session and batches identical messages.",
    ),
    "hardcoded-credential": KindInfo(
        "blocker",
        "hard-coded credential",
        "Hard-coded credentials: move the value out of the code into the environment and read "
        'it there, e.g. LETTR = {"API_KEY": os.environ["LETTR_API_KEY"]} (Django) or '
        "LETTR_API_KEY in the environment (Flask, lettr_core). Treat the value as leaked: "
        "rotate it.",
    ),
    "credential-in-env-file": KindInfo(
        "info",
        "credential in an environment file",
        "Fine for local use: make sure this file is not committed (.gitignore) and that "
        "production reads the value from its own environment or secret store.",
    ),
    "smtp-in-serverless": KindInfo(
        "blocker",
        "SMTP in a serverless function",
        "SMTP in serverless: short-lived functions pay SMTP's connection setup on every call "
        "and port 587 is often blocked. Send through Lettr's HTTP API instead "
        "(lettr_core.Mailer with an API key from LETTR_API_KEY, or lettr_flask / lettr_django).",
    ),
    "html-over-smtp": KindInfo(
        "info",
        "HTML body built in code and sent over SMTP",
        "Consider Lettr templates: keep the HTML in Lettr and send template_id=... with "
        "merge_global_data={...} (Django attributes, lettr_flask.Message keywords, "
        "lettr_core.Email.template_slug); content then changes without a deploy. Templates "
        "need the API, not SMTP.",
    ),
    "parse-error": KindInfo(
        "info",
        "file could not be parsed",
        "The audit skipped this file's contents; check it by hand (or fix the syntax error).",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One thing found at ``file:line``. ``file`` is relative to the audited root, with ``/``.

    ``message`` never contains a secret's value: credential findings say where, not what.
    """

    kind: str
    file: str
    line: int
    message: str
    advice: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if not self.advice:
            object.__setattr__(self, "advice", KINDS[self.kind].advice)

    @property
    def severity(self) -> Severity:
        """The kind's severity (fixed per kind)."""
        return KINDS[self.kind].severity

    def to_dict(self) -> dict[str, object]:
        """The JSON shape: kind, severity, file, line, message, advice."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "advice": self.advice,
        }
