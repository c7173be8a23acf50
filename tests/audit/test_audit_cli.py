"""``lettr audit`` through ``main(argv)``: output formats, exit codes, masking, JSON schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from lettr_core import cli as lettr_cli
from lettr_core.audit import KINDS, SEVERITIES, AuditReport, Finding, render_text
from lettr_core.audit.cli import main, run_for_app_root
from lettr_core.audit.config_checks import tomllib

SAMPLES = Path(__file__).parent / "samples"
DIRTY = str(SAMPLES / "dirty")
CLEAN = str(SAMPLES / "clean")
#: Findings in samples/dirty; without tomllib (Python 3.10) broken/bad.toml is no parse-error.
DIRTY_TOTAL, DIRTY_INFO = (47, 23) if tomllib is not None else (46, 22)

FINDING_SCHEMA = {
    "type": "object",
    "required": ["kind", "severity", "file", "line", "message", "advice"],
    "properties": {
        "kind": {"enum": list(KINDS)},
        "severity": {"enum": list(SEVERITIES)},
        "file": {"type": "string", "minLength": 1},
        "line": {"type": "integer", "minimum": 1},
        "message": {"type": "string", "minLength": 1},
        "advice": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
REPORT_SCHEMA = {
    "type": "object",
    "required": ["root", "findings", "summary"],
    "properties": {
        "root": {"type": "string"},
        "findings": {"type": "array", "items": FINDING_SCHEMA},
        "summary": {
            "type": "object",
            "required": ["total", "files_scanned", "by_severity", "by_kind"],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "files_scanned": {"type": "integer", "minimum": 0},
                "by_severity": {
                    "type": "object",
                    "required": list(SEVERITIES),
                    "additionalProperties": {"type": "integer"},
                },
                "by_kind": {
                    "type": "object",
                    "propertyNames": {"enum": list(KINDS)},
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
    "additionalProperties": False,
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_follows_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, DIRTY, "--format", "json")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["root"] == str(Path(DIRTY).resolve())
    summary = document["summary"]
    assert summary["total"] == len(document["findings"]) == sum(summary["by_kind"].values())
    assert sum(summary["by_severity"].values()) == summary["total"]
    assert summary["by_kind"]["smtp-in-serverless"] == 3
    assert summary["by_severity"]["blocker"] == 13


def test_json_of_a_clean_tree(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format=json", "--strict", CLEAN + "/lambda")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["findings"] == []
    assert document["summary"]["by_severity"] == {"info": 0, "change": 0, "blocker": 0}


def test_text_output_lists_findings_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, DIRTY)
    assert (code, err) == (0, "")
    assert "lambda/handler.py:8: [BLOCKER] smtp-in-serverless:" in out
    assert "django_loop/notify.py:9: [change] smtp-connection-in-loop:" in out
    assert f"Summary: {DIRTY_TOTAL} findings (13 blocker, 11 change, {DIRTY_INFO} info)" in out
    assert KINDS["html-over-smtp"].advice.split()[0] in out
    assert "lettr_django.EmailBackend" in out and "from lettr_flask import Mail, Message" in out


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ([DIRTY], 0),
        ([DIRTY, "--strict"], 1),
        ([CLEAN, "--strict"], 0),
        ([str(SAMPLES / "dirty" / "django_loop"), "--strict"], 0),  # changes are not blockers
        ([str(SAMPLES / "dirty" / "gcf"), "--strict", "--format", "json"], 1),
    ],
)
def test_strict_exit_codes(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> None:
    assert run(capsys, *argv)[0] == code


@pytest.mark.parametrize(
    "argv",
    [[], ["--format", "xml", DIRTY], ["--bogus", DIRTY], [DIRTY, "extra"], ["/no/such/dir"]],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "lettr audit" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--strict" in out and "hardcoded-credential" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_masked_in_output(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    _, out, err = run(capsys, DIRTY, "--format", fmt)
    assert "hunter2" not in out + err
    assert "0" * 64 not in out + err
    assert "lttr_****" in out


def test_lettr_console_script_dispatches_to_audit(capsys: pytest.CaptureFixture[str]) -> None:
    assert lettr_cli.main(["audit", DIRTY, "--strict", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["total"] == DIRTY_TOTAL


def test_run_for_app_root_writes_to_the_given_stream(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert run_for_app_root(SAMPLES / "dirty" / "lambda", "json", True, out=out) == 1
    assert json.loads(out.getvalue())["summary"]["by_kind"]["smtp-in-serverless"] == 1
    assert capsys.readouterr().out == ""
    assert run_for_app_root(CLEAN, "text", True) == 0
    assert capsys.readouterr().out.startswith("lettr audit: ")


def test_run_for_app_root_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_for_app_root(CLEAN, "yaml", False) == 2
    assert run_for_app_root("/no/such/app", "text", False) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown format" in captured.err and "no such" in captured.err


def test_exclude_leaves_out_names_and_paths(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, DIRTY, "--strict", "--format", "json",
        "--exclude", "config", "--exclude", "*.toml", "--exclude", "django_settings/*",
        "--exclude", "smtplib_script", "--exclude", "flask_mail/app.py",
        "--exclude", "lambda", "--exclude", "vercel", "--exclude", "gcf/",
    )  # fmt: skip
    assert code == 0  # every blocker was in an excluded place
    files = {f["file"] for f in json.loads(out)["findings"]}
    assert files == {"broken/half_written.py", "django_loop/notify.py", "never_run/side_effects.py"}


def test_text_shows_advice_that_differs_from_the_kind_default() -> None:
    report = AuditReport(
        root="/app",
        findings=[
            Finding("smtplib-direct", "a.py", 3, "smtplib.SMTP(...)", advice="Use lettr_core."),
            Finding("smtplib-direct", "b.py", 4, "smtplib.SMTP(...)"),
        ],
        files_scanned=1,
    )
    text = render_text(report)
    assert "lettr audit: /app (1 file read)" in text
    assert text.count("    -> Use lettr_core.") == 1
    assert "     2  smtplib-direct [change]" in text
    assert "Blockers found" not in text
    with pytest.raises(ValueError, match="unknown finding kind"):
        Finding("no-such-kind", "a.py", 1, "x")
