"""The ``lettr`` command's dispatcher and its check / send-test subcommands."""

from __future__ import annotations

import json

import pytest
import responses

from lettr_core import cli, tools
from tests.core.conftest import FAKE_KEY, ok

ENV = {"LETTR_API_KEY": FAKE_KEY, "LETTR_API_URL": "http://127.0.0.1:9/api"}


def test_help_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    assert "devserver" in capsys.readouterr().out
    assert cli.main(["nope"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_check_prints_the_team(capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mock:
        mock.get("http://127.0.0.1:9/api/auth/check",
                 json={"message": "ok", "data": {"team_id": 123, "timestamp": "t"}})
        assert tools.main(["check"], environ=ENV) == 0
    assert "team 123" in capsys.readouterr().out


def test_check_reports_a_refused_key_without_showing_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mock:
        mock.get("http://127.0.0.1:9/api/auth/check", status=401,
                 json={"message": "Invalid API key."})
        assert tools.main(["check"], environ=ENV) == 1
    err = capsys.readouterr().err
    assert "AuthenticationError" in err and FAKE_KEY not in err


def test_check_without_a_key_is_a_configuration_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert tools.main(["check"], environ={"LETTR_TRANSPORT": "api"}) == 2
    assert "API_KEY" in capsys.readouterr().err


def test_send_test_prints_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    with responses.RequestsMock() as mock:
        mock.post("http://127.0.0.1:9/api/emails", json=ok("31337"))
        code = tools.main(["send-test", "--from", "app@example.com", "--to", "me@example.com"],
                          environ=ENV)
        body = json.loads(mock.calls[0].request.body)
    assert code == 0 and "request_id=31337" in capsys.readouterr().out
    assert body["to"] == ["me@example.com"] and body["tag"] == "lettr-send-test"
