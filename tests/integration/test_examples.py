"""The example projects, run as their users run them, against the dev server.

Each example is started as a process (``manage.py send_demo_mail``, ``flask send-demo-mail``)
configured only by environment variables, as documented for running them by hand; nothing is
imported from them. The dev server shows which door each message took and what it carried.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lettr_core.audit.engine import audit_path
from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "example_projects"
KEY = "lttr_" + "0" * 64
SHELL_MAIL_PREFIXES = (
    "LETTR_", "EMAIL_", "MAIL_", "DJANGO_", "FLASK_", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL",
)


def run(server: DevServer, stage: str, directory: str, *command: str) -> str:
    """Run an example command in ``stage`` against ``server``; its stdout."""
    assert server.ca_path is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(SHELL_MAIL_PREFIXES)}
    env.update({
        "DEMO_STAGE": stage,
        "SSL_CERT_FILE": server.ca_path,  # trust the dev server's CA for STARTTLS
        "LETTR_API_URL": server.api_url,
        "EMAIL_HOST": server.smtp_host, "EMAIL_PORT": str(server.smtp_port),
        "EMAIL_HOST_USER": "lettr", "EMAIL_HOST_PASSWORD": KEY,
        "MAIL_SERVER": server.smtp_host, "MAIL_PORT": str(server.smtp_port),
        "MAIL_USERNAME": "lettr", "MAIL_PASSWORD": KEY,
    })
    if stage != "smtp":
        env["LETTR_API_KEY"] = KEY
    result = subprocess.run(
        [sys.executable, *command], cwd=EXAMPLES / directory, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def by_subject(server: DevServer) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for message in reversed(server.messages()):
        found.setdefault(message["subject"], []).append(message)
    return found


def doors(server: DevServer) -> dict[str, str]:
    """First recipient -> door."""
    return {message["to"][0]: message["door"] for message in server.messages()}


DJANGO = ("django_site", "manage.py", "send_demo_mail")
FLASK = ("flask_app", "-m", "flask", "--app", "app", "send-demo-mail")


@pytest.mark.parametrize("stage", ["smtp", "api"])
def test_django_site_sends_its_three_kinds_of_mail(devserver: DevServer, stage: str) -> None:
    assert "sent 4 messages" in run(devserver, stage, *DJANGO)
    mail = by_subject(devserver)
    assert {m["door"] for m in devserver.messages()} == {stage}
    welcome = mail["Welcome to Acme Shop"]
    assert sorted(m["to"][0] for m in welcome) == ["ann@example.com", "chloe@example.com"]
    assert all(m["from"] == "shop@acme.example" and m["from_name"] == "Acme Shop"
               for m in welcome)
    [receipt] = mail["Receipt for order 2001"]
    assert receipt["to"] == ["bob@example.com"] and receipt["reply_to"] == "help@acme.example"
    assert "<b>49.00 EUR</b>" in receipt["html"] and "49.00 EUR" in receipt["text"]
    assert [(a["name"], a["type"]) for a in receipt["attachments"]] == [
        ("invoice-2001.pdf", "application/pdf")
    ]
    [alert] = mail["[Django] Low stock: kettle"]
    assert alert["to"] == ["admin@acme.example"] and alert["from"] == "alerts@acme.example"


def test_django_site_split_stage_is_stable_per_recipient(devserver: DevServer) -> None:
    run(devserver, "split", *DJANGO)
    first = doors(devserver)
    devserver.clear()
    run(devserver, "split", *DJANGO)
    assert doors(devserver) == first
    assert first == {"ann@example.com": "smtp", "chloe@example.com": "api",
                     "bob@example.com": "smtp", "admin@acme.example": "smtp"}


@pytest.mark.parametrize("stage", ["smtp", "api"])
def test_flask_app_sends_a_confirmation_and_a_newsletter(
    devserver: DevServer, stage: str
) -> None:
    assert "sent 1 order confirmation and 4 newsletters" in run(devserver, stage, *FLASK)
    mail = by_subject(devserver)
    assert {m["door"] for m in devserver.messages()} == {stage}
    [order] = mail["Your order 1042 is confirmed"]
    assert order["to"] == ["emma@example.com"]
    assert (order["from"], order["from_name"]) == ("shop@acme.example", "Acme Shop")
    assert "<b>31.50 EUR</b>" in order["html"] and "31.50 EUR" in order["text"]
    assert [(a["name"], a["type"]) for a in order["attachments"]] == [
        ("invoice-1042.pdf", "application/pdf")
    ]
    news = mail["Acme news: spring teas"]
    assert [m["to"] for m in news] == [
        ["farid@example.com"], ["grace@example.com"], ["hiro@example.com"], ["kim@example.com"]
    ]


def test_flask_app_split_stage(devserver: DevServer) -> None:
    run(devserver, "split", *FLASK)
    assert doors(devserver) == {
        "emma@example.com": "api", "farid@example.com": "smtp", "grace@example.com": "smtp",
        "hiro@example.com": "smtp", "kim@example.com": "smtp",
    }


def test_an_unknown_stage_is_refused(devserver: DevServer) -> None:
    for directory, *command in (DJANGO, FLASK):
        env = {**os.environ, "DEMO_STAGE": "half"}
        result = subprocess.run(
            [sys.executable, *command], cwd=EXAMPLES / directory, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode != 0
        assert "DEMO_STAGE must be one of smtp, split, api, not 'half'" in result.stderr
    assert devserver.messages() == []


def test_django_signup_view_sends_a_welcome(devserver: DevServer) -> None:
    script = (
        "from django.test import Client\n"
        "response = Client(HTTP_HOST='localhost').post('/signup/', {'email': 'leo@example.com'})\n"
        "print(response.status_code)\n"
    )
    output = run(devserver, "api", "django_site", "manage.py", "shell", "-c", script)
    assert output.splitlines()[-1] == "201"
    [welcome] = devserver.messages()
    assert (welcome["door"], welcome["to"], welcome["subject"]) == (
        "api", ["leo@example.com"], "Welcome to Acme Shop"
    )


def test_flask_signup_route_sends_a_welcome(devserver: DevServer) -> None:
    script = (
        "from app import create_app\n"
        "client = create_app().test_client()\n"
        "print(client.post('/signup', data={'email': 'leo@example.com'}).status_code)\n"
    )
    assert run(devserver, "smtp", "flask_app", "-c", script).strip() == "201"
    [welcome] = devserver.messages()
    assert (welcome["door"], welcome["to"], welcome["subject"]) == (
        "smtp", ["leo@example.com"], "Welcome to Acme Shop"
    )


def test_lettr_audit_finds_nothing_to_fix_in_the_examples() -> None:
    """No blocker (no hard-coded secret) and no code change: the move is settings only."""
    report = audit_path(EXAMPLES)
    assert [f for f in report.findings if f.severity != "info"] == []
    kinds = {f.kind for f in report.findings}
    assert {"django-mail-call", "django-email-setting", "flask-mail-setting"} <= kinds


@pytest.mark.parametrize("stage", ["split", "api"])
def test_an_api_stage_without_a_key_is_an_error_not_smtp(devserver: DevServer, stage: str) -> None:
    for directory, *command in (DJANGO, FLASK):
        env = {k: v for k, v in os.environ.items() if not k.startswith(SHELL_MAIL_PREFIXES)}
        env.update({"DEMO_STAGE": stage, "LETTR_API_URL": devserver.api_url,
                    "EMAIL_HOST": devserver.smtp_host, "EMAIL_PORT": str(devserver.smtp_port),
                    "MAIL_SERVER": devserver.smtp_host, "MAIL_PORT": str(devserver.smtp_port)})
        result = subprocess.run(
            [sys.executable, *command], cwd=EXAMPLES / directory, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode != 0, directory
        assert "TRANSPORT is 'api' but no API key is set" in result.stderr
    assert devserver.messages() == []
