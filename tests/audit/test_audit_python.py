"""The ast checks, one rule at a time, on small inline sources."""

from __future__ import annotations

import textwrap

import pytest

from lettr_core.audit.findings import Finding
from lettr_core.audit.python_checks import check_python_source


def audit(source: str, relpath: str = "app/mail.py") -> list[Finding]:
    return check_python_source(textwrap.dedent(source).encode(), relpath)


def found(source: str, relpath: str = "app/mail.py") -> list[tuple[str, int]]:
    return [(f.kind, f.line) for f in audit(source, relpath)]


def of_kind(kind: str, source: str, relpath: str = "app/mail.py") -> list[int]:
    return [f.line for f in audit(source, relpath) if f.kind == kind]


@pytest.mark.parametrize(
    "source",
    [
        "from django.core.mail import send_mail\nsend_mail('s', 'b', 'f@x.io', ['t@x.io'])\n",
        "from django.core import mail\nmail.send_mail('s', 'b', 'f@x.io', ['t@x.io'])\n",
        "import django.core.mail\ndjango.core.mail.mail_admins('s', 'b')\n",
        "from django.core.mail import send_mass_mail as smm\nsmm([])\n",
        "from django.core.mail import EmailMultiAlternatives\nEmailMultiAlternatives('s')\n",
    ],
)
def test_django_mail_calls_are_resolved_through_imports(source: str) -> None:
    assert of_kind("django-mail-call", source) == [2]


def test_names_that_only_look_like_mail_calls_are_ignored() -> None:
    source = """\
        from email.message import EmailMessage
        def send_mail(*args): ...
        send_mail("not django")
        EmailMessage()
    """
    assert found(source) == []


def test_smtp_classes_used_without_a_call() -> None:
    source = """\
        import smtplib
        cls = smtplib.SMTP_SSL if ssl else smtplib.SMTP
        def f(server: smtplib.SMTP): ...
        smtplib.SMTPException
    """
    assert of_kind("smtplib-direct", source) == [2, 2, 3]


def test_settings_are_upper_case_names_in_python() -> None:
    source = 'self.email_backend = "x.smtp.EmailBackend"\nsmtp_host = "smtp.example.com"\n'
    assert found(source) == []


def test_smtplib_constructors_with_aliases() -> None:
    source = """\
        import smtplib as s
        from smtplib import SMTP_SSL
        s.SMTP("smtp.example.com")
        SMTP_SSL("smtp.example.com")
        s.SMTPException
    """
    assert of_kind("smtplib-direct", source) == [3, 4]


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        # a comprehension is a loop
        ("import smtplib\n[smtplib.SMTP(h) for h in hosts]\n", [2]),
        # the first iterable of a comprehension is evaluated once
        ("import smtplib\n[x for x in smtplib.SMTP(h).noop()]\n", []),
        # a function defined in a loop runs when called, not per pass
        ("import smtplib\nfor h in hosts:\n    def f():\n        smtplib.SMTP(h)\n", []),
        # the loop's iterable and its else clause run once
        ("import smtplib\nfor x in smtplib.SMTP(h).x:\n    pass\nelse:\n    smtplib.SMTP(h)\n", []),
        ("import smtplib\nwhile True:\n    smtplib.SMTP(h)\n", [3]),
        ("import smtplib\nasync def f():\n    async for m in q:\n        smtplib.SMTP(h)\n", [4]),
    ],
)
def test_loops_and_scopes(source: str, lines: list[int]) -> None:
    assert of_kind("smtp-connection-in-loop", source) == lines


def test_django_send_with_a_shared_connection_is_not_a_loop_finding() -> None:
    source = """\
        from django.core.mail import EmailMessage, get_connection, send_mail
        conn = get_connection()
        for u in users:
            send_mail("s", "b", "f@x.io", [u], connection=conn)
            EmailMessage("s", connection=conn).send()
            msg = EmailMessage("s", "b", "f@x.io", [u])
            msg.send()
    """
    assert of_kind("smtp-connection-in-loop", source) == [7]


def test_flask_mail_instance_imported_from_the_app() -> None:
    source = """\
        from flask_mail import Message
        from myapp.extensions import mail
        for user in users:
            mail.send(Message("hi", recipients=[user]))
    """
    assert of_kind("smtp-connection-in-loop", source) == [4]
    source = "from django.core import mail\nfor m in ms:\n    mail.send(m)\n"
    assert of_kind("smtp-connection-in-loop", source) == []


def test_flask_mail_send_in_a_loop_but_not_through_one_connection() -> None:
    source = """\
        from flask_mail import Mail
        mail = Mail()
        for m in messages:
            mail.send(m)
        with mail.connect() as conn:
            for m in messages:
                conn.send(m)
    """
    assert of_kind("smtp-connection-in-loop", source) == [4]


@pytest.mark.parametrize(
    "source",
    [
        'EMAIL_HOST_PASSWORD = "hunter2"\n',
        'password: str = "hunter2"\n',
        'self.smtp_password = "hunter2"\n',
        'app.config["MAIL_PASSWORD"] = "hunter2"\n',
        'LETTR = {"API_KEY": "hunter2"}\n',
        'connect(api_key="hunter2")\n',
        'server.login("me@example.com", "hunter2")\n',
        'PASSWORD = os.environ.get("SMTP_PASSWORD", "hunter2")\n',
        'PASSWORD = os.getenv("SMTP_PASSWORD") or "hunter2"\n',
        'os.environ.setdefault("EMAIL_HOST_PASSWORD", "hunter2")\n',
        'def connect(host, password="hunter2"): ...\n',
        'def connect(host, *, smtpPassword="hunter2"): ...\n',
        'KEY = "' + "lttr_" + "0" * 64 + '"\n',
        '"""Docs: use lttr_sandbox_' + "0" * 64 + '"""\n',
        'URL = "smtp://mailer:hunter2@smtp.example.com:587"\n',
    ],
)
def test_hardcoded_credentials(source: str) -> None:
    findings = audit("import os\n" + source)
    creds = [f for f in findings if f.kind == "hardcoded-credential"]
    assert [f.line for f in creds] == [2]
    assert creds[0].severity == "blocker"
    assert "hunter2" not in creds[0].message and "0" * 64 not in creds[0].message


@pytest.mark.parametrize(
    "source",
    [
        'EMAIL_HOST_PASSWORD = ""\n',
        'EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]\n',
        'PASSWORD = os.environ.get("SMTP_PASSWORD", "")\n',
        "PASSWORD_RESET_TIMEOUT = 3600\n",
        'PASSWORD_FILE = "/run/secrets/smtp"\n',
        'AUTH_PASSWORD_VALIDATORS = [{"NAME": "x"}]\n',
        'PASSWORD = keyring.get_password("smtp", "me")\n',
        'EMAIL_HOST_USER = "me@example.com"\n',
        'KEY = "lttr_tooshort"\n',
        'EMAIL_HOST_PASSWORD = "<your SMTP password>"\n',
        'SMTP_PASSWORD = "${SMTP_PASSWORD}"\n',
        'MAIL_PASSWORD = "********"\n',
        'DOC = "use smtp://user:password@smtp.example.com:587"\n',
        'DOC = "use smtp://user:${SMTP_PASSWORD}@smtp.example.com:587"\n',
        'URL = "https://user:hunter2@example.com"\n',
        'UNUSABLE_PASSWORD_PREFIX = "!"\n',
        'PASSWORD_HELP_TEXT = "Use twelve characters or more"\n',
        "set_password = 'ALTER USER %(user)s IDENTIFIED BY \"%(password)s\"'\n",
        "server.login(user, password)\n",
    ],
)
def test_not_credentials(source: str) -> None:
    assert of_kind("hardcoded-credential", "import os\n" + source) == []


def test_one_literal_is_one_credential_finding() -> None:
    source = 'LETTR = {"API_KEY": "lttr_' + "0" * 64 + '"}\n'
    assert found(source) == [("hardcoded-credential", 1)]


@pytest.mark.parametrize(
    ("value", "reported"),
    [
        ('"django.core.mail.backends.smtp.EmailBackend"', True),
        ('"anymail.backends.mailgun.EmailBackend"', True),
        ('os.environ["EMAIL_BACKEND"]', True),
        ('"lettr_django.EmailBackend"', False),
        ('"django.core.mail.backends.locmem.EmailBackend"', False),
        ('"django.core.mail.backends.console.EmailBackend"', False),
    ],
)
def test_email_backend_setting(value: str, reported: bool) -> None:
    lines = of_kind("django-email-setting", f"import os\nEMAIL_BACKEND = {value}\n")
    assert lines == ([2] if reported else [])


def test_flask_mail_settings_in_config_update_and_classes() -> None:
    source = """\
        app.config.update(MAIL_SERVER="smtp.example.com", MAIL_PORT=587)
        class Config:
            MAIL_USE_TLS = True
    """
    assert of_kind("flask-mail-setting", source) == [1, 1, 3]


def test_flask_mail_imports() -> None:
    source = (
        "import flask_mail\nfrom flask_mail import Mail, Message\nfrom flask.ext import mail\n"
        "import flask_mailman\nfrom lettr_flask import Mail\n"
    )
    assert of_kind("flask-mail-import", source) == [1, 2, 3]
    assert audit(source)[0].severity == "change"


@pytest.mark.parametrize(
    "source",
    [
        'import smtplib\nfrom email.mime.text import MIMEText\nMIMEText(body, "html")\n',
        'import smtplib\nfrom email.mime.text import MIMEText\nMIMEText(body, _subtype="html")\n',
        'import smtplib\nmsg = EmailMessage()\nmsg.set_content(body, subtype="html")\n',
        'from django.core.mail import send_mail as sm\nx = 1\nsm("s", "b", f, t, html_message=h)\n',
        'from django.core import mail\nm = x\nm.attach_alternative(html, "text/html")\n',
        'from django.core import mail\nm = x\nm.content_subtype = "html"\n',
        'from flask_mail import Message\nx = 1\nMessage("s", html=render("w.html"))\n',
        'from flask_mail import Message\nmsg = Message("s")\nmsg.html = "<p>hi</p>"\n',
    ],
)
def test_html_over_smtp(source: str) -> None:
    assert of_kind("html-over-smtp", source) == [3]


def test_html_without_smtp_is_not_reported() -> None:
    source = 'from lettr_flask import Message\nMessage("s", html="<p>hi</p>")\n'
    assert of_kind("html-over-smtp", source) == []
    source = 'from email.mime.text import MIMEText\nMIMEText(body, "html")\n'
    assert of_kind("html-over-smtp", source) == []


@pytest.mark.parametrize(
    ("source", "relpath"),
    [
        ("def handler(event, context):\n    pass\n", "fn.py"),
        ("def handler(evt, _):\n    pass\n", "fn.py"),
        ("def lambda_handler(payload, ctx):\n    pass\n", "fn.py"),
        ("def process(event, context):\n    pass\n", "fn.py"),
        ("import functions_framework\n@functions_framework.http\ndef f(r):\n    pass\n", "x.py"),
        (
            "from functions_framework import cloud_event\n@cloud_event\ndef f(e):\n    pass\n",
            "x.py",
        ),
        ("def main(request):\n    pass\n", "main.py"),
        ("app = make_app()\n", "api/index.py"),
        ("class handler(Base):\n    pass\n", "site/api/mail.py"),
    ],
)
def test_serverless_entry_points_with_smtp(source: str, relpath: str) -> None:
    code = "import smtplib\n" + source + "smtplib.SMTP('smtp.example.com')\n"
    lines = of_kind("smtp-in-serverless", code, relpath)
    assert lines == [code.count("\n")]


@pytest.mark.parametrize(
    ("source", "relpath"),
    [
        ("def handler(event, context):\n    pass\n", "fn.py"),  # no SMTP below
        ("def main(request):\n    smtplib.SMTP(h)\n", "views.py"),  # a Django view, not GCF
        ("app = make_app()\nsmtplib.SMTP(h)\n", "app.py"),  # not in api/
        ("def handler(request):\n    smtplib.SMTP(h)\n", "fn.py"),  # one parameter
        ("def handler(signum, frame):\n    smtplib.SMTP(h)\n", "fn.py"),  # a signal handler
    ],
)
def test_not_serverless(source: str, relpath: str) -> None:
    assert of_kind("smtp-in-serverless", "import smtplib\n" + source, relpath) == []


def test_flask_mail_in_a_lambda_counts_as_smtp() -> None:
    source = """\
        from flask_mail import Mail
        mail = Mail()
        def handler(event, context):
            mail.send(event["msg"])
    """
    assert of_kind("smtp-in-serverless", source) == [4]


@pytest.mark.parametrize(
    "source",
    [b"def f(:\n", b"x = 1\x00\n", b"print 'py2'\n", b"\xff\xfe garbage"],
)
def test_unparseable_source_is_one_parse_error(source: bytes) -> None:
    findings = check_python_source(source, "bad.py")
    assert [(f.kind, f.severity) for f in findings] == [("parse-error", "info")]


def test_source_encoding_cookie_is_honoured() -> None:
    source = '# -*- coding: latin-1 -*-\nPASSWORD = "h\xe9llo"\n'.encode("latin-1")
    assert [f.kind for f in check_python_source(source, "x.py")] == ["hardcoded-credential"]
