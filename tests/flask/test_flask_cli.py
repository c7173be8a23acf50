"""``flask lettr check``, ``flask lettr send-test`` and ``flask lettr audit``."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import responses
from flask import Flask
from flaskhelpers import API, KEY, make_app

from lettr_flask import Mail


def _app(**config):  # type: ignore[no-untyped-def]
    app = make_app(**config)
    Mail(app)
    return app


def test_the_group_is_registered_once_per_app() -> None:
    mail = Mail()
    app = make_app()
    mail.init_app(app)
    mail.init_app(app)
    assert "lettr" in app.cli.commands
    assert set(app.cli.commands["lettr"].commands) == {"check", "send-test", "audit"}


def test_check_with_a_valid_key() -> None:
    app = _app(LETTR_API_KEY=KEY)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/auth/check",
                 json={"message": "ok", "data": {"team_id": 123, "timestamp": "x"}})
        result = app.test_cli_runner().invoke(args=["lettr", "check"])
    assert result.exit_code == 0, result.output
    assert "valid (team 123)" in result.output
    assert "transport: api" in result.output
    assert KEY not in result.output
    assert "lttr_…0000" in result.output


def test_check_with_a_refused_key() -> None:
    app = _app(LETTR_API_KEY=KEY)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/auth/check", status=401,
                 json={"message": "Unauthenticated."})
        result = app.test_cli_runner().invoke(args=["lettr", "check"])
    assert result.exit_code == 1
    assert "API key check failed" in result.output
    assert KEY not in result.output


def test_check_without_a_key_reports_smtp() -> None:
    result = _app().test_cli_runner().invoke(args=["lettr", "check", "--no-smtp"])
    assert result.exit_code == 0, result.output
    assert "transport: smtp" in result.output
    assert "127.0.0.1:25 security=none" in result.output
    assert "not set" in result.output


def test_send_test_sends_even_when_suppressed() -> None:
    app = _app(LETTR_API_KEY=KEY, MAIL_SUPPRESS_SEND=True)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails",
                 json={"message": "ok", "data": {"request_id": "77", "accepted": 1,
                                                 "rejected": 0}})
        result = app.test_cli_runner().invoke(args=["lettr", "send-test", "to@example.com"])
        body = json.loads(rsps.calls[0].request.body)
    assert result.exit_code == 0, result.output
    assert "sent via api: request_id=77 accepted=1" in result.output
    assert body["to"] == ["to@example.com"] and body["from"] == "app@example.com"


def test_send_test_reports_a_failure() -> None:
    app = _app(LETTR_API_KEY=KEY)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{API}/emails", status=422,
                 json={"message": "The to field is invalid.", "error_code": "validation_error",
                       "errors": {"to.0": ["The to.0 field must be a valid email address."]}})
        result = app.test_cli_runner().invoke(
            args=["lettr", "send-test", "to@example.com", "--from", "me@example.com"])
    assert result.exit_code == 1
    assert "sending failed" in result.output


def test_send_test_needs_a_sender() -> None:
    app = _app(LETTR_API_KEY=KEY, MAIL_DEFAULT_SENDER=None)
    result = app.test_cli_runner().invoke(args=["lettr", "send-test", "to@example.com"])
    assert result.exit_code == 1
    assert "no sender" in result.output


_HAS_AUDIT = importlib.util.find_spec("lettr_core.audit") is not None


def test_audit_without_the_audit_module_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lettr_core.audit.cli", None)  # import fails
    result = _app().test_cli_runner().invoke(args=["lettr", "audit"])
    assert result.exit_code == 1
    assert "audit is not available" in result.output


@pytest.mark.skipif(not _HAS_AUDIT, reason="lettr_core.audit is not merged yet")
def test_audit_reports_on_a_path(tmp_path: Path) -> None:
    (tmp_path / "legacy.py").write_text(
        "import smtplib\ns = smtplib.SMTP('smtp.example.com', 587)\ns.login('me', 'hunter2')\n",
        encoding="utf-8",
    )
    runner = _app().test_cli_runner()
    result = runner.invoke(args=["lettr", "audit", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    kinds = {f["kind"] for f in json.loads(result.output)["findings"]}
    assert {"smtplib-direct", "hardcoded-credential"} <= kinds
    assert "hunter2" not in result.output
    strict = runner.invoke(args=["lettr", "audit", str(tmp_path), "--strict"])
    assert strict.exit_code == 1  # a hard-coded credential is a blocker
    excluded = runner.invoke(
        args=["lettr", "audit", str(tmp_path), "--strict", "--exclude", "legacy.py"])
    assert excluded.exit_code == 0, excluded.output


@pytest.mark.skipif(not _HAS_AUDIT, reason="lettr_core.audit is not merged yet")
def test_audit_defaults_to_the_app_root(tmp_path: Path) -> None:
    (tmp_path / "mailer.py").write_text(
        "import smtplib\nsmtplib.SMTP_SSL('smtp.example.com', 465)\n", encoding="utf-8")
    app = Flask("rooted", root_path=str(tmp_path))
    app.config["MAIL_DEFAULT_SENDER"] = "app@example.com"
    Mail(app)
    result = app.test_cli_runner().invoke(args=["lettr", "audit", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["root"] == str(tmp_path)
    assert [f["file"] for f in report["findings"]] == ["mailer.py"]
