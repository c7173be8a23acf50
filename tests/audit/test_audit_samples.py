"""Sample trees: each case is found in samples/dirty/<case>, absent from samples/clean/<case>."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from lettr_core.audit import audit_path
from lettr_core.audit.config_checks import tomllib

SAMPLES = Path(__file__).parent / "samples"
LETTR_KEY = "lttr_" + "0" * 64

#: case -> the finding kinds (with counts) its dirty tree must produce and its clean tree must not.
CASES: dict[str, dict[str, int]] = {
    "django_settings": {"django-email-setting": 6, "hardcoded-credential": 2},
    "django_loop": {"smtp-connection-in-loop": 3},
    "flask_mail": {
        "flask-mail-import": 1,
        "smtp-connection-in-loop": 1,
        "html-over-smtp": 1,
        "hardcoded-credential": 1,
    },
    "smtplib_script": {
        "smtplib-direct": 1,
        "smtp-connection-in-loop": 1,
        "html-over-smtp": 1,
        "hardcoded-credential": 1,
    },
    "lambda": {"smtp-in-serverless": 1, "smtplib-direct": 1},
    "vercel": {"smtp-in-serverless": 1, "smtplib-direct": 1},
    "gcf": {"smtp-in-serverless": 1, "smtplib-direct": 1},
    "config": {"hardcoded-credential": 6, "credential-in-env-file": 2, "smtp-setting": 3},
}


def kinds(path: Path) -> Counter[str]:
    return Counter(f.kind for f in audit_path(path).findings)


@pytest.mark.parametrize("case", sorted(CASES))
def test_dirty_case_is_found(case: str) -> None:
    found = kinds(SAMPLES / "dirty" / case)
    for kind, count in CASES[case].items():
        assert found[kind] == count, (kind, found)


@pytest.mark.parametrize("case", sorted(CASES))
def test_clean_counterpart_has_none_of_it(case: str) -> None:
    report = audit_path(SAMPLES / "clean" / case)
    found = Counter(f.kind for f in report.findings)
    for kind in CASES[case]:
        assert found[kind] == 0, (kind, [f for f in report.findings if f.kind == kind])
    assert not [f for f in report.findings if f.severity != "info"]
    assert found["parse-error"] == 0


def test_clean_tree_still_reports_django_calls_as_info() -> None:
    """Django calls switch by settings alone: reported, but never more than info."""
    report = audit_path(SAMPLES / "clean" / "django_loop")
    calls = [f for f in report.findings if f.kind == "django-mail-call"]
    assert [f.line for f in calls] == [7, 9, 13, 14]
    assert {f.severity for f in report.findings} == {"info"}


def test_findings_point_at_file_and_line() -> None:
    report = audit_path(SAMPLES / "dirty")
    where = {(f.kind, f.file, f.line) for f in report.findings}
    assert ("smtp-in-serverless", "lambda/handler.py", 8) in where
    assert ("smtp-connection-in-loop", "smtplib_script/report.py", 10) in where
    assert ("hardcoded-credential", "django_settings/settings.py", 10) in where
    assert ("hardcoded-credential", "django_settings/settings.py", 13) in where
    assert ("flask-mail-import", "flask_mail/app.py", 4) in where
    assert ("django-email-setting", "django_settings/settings.py", 5) in where
    assert report.findings == sorted(
        report.findings, key=lambda f: (f.file, f.line, f.kind, f.message)
    )


def test_unparseable_files_are_findings_not_crashes() -> None:
    report = audit_path(SAMPLES / "dirty" / "broken")
    expected = [("bad.toml", "parse-error")] if tomllib is not None else []
    assert sorted((f.file, f.kind) for f in report.findings) == [
        *expected,
        ("half_written.py", "parse-error"),
    ]
    assert all(f.severity == "info" for f in report.findings)


def test_audited_code_is_never_executed(tmp_path: Path) -> None:
    tree = tmp_path / "never_run"
    shutil.copytree(SAMPLES / "dirty" / "never_run", tree)
    report = audit_path(tree)
    assert not (tree / "EXECUTED").exists()
    # the SMTP call after the raise is still seen: the file was read, not run
    assert [(f.kind, f.line) for f in report.findings] == [("smtplib-direct", 9)]


def test_secret_values_never_appear_in_findings() -> None:
    report = audit_path(SAMPLES / "dirty")
    text = repr(report.findings) + repr(report.to_dict())
    assert "hunter2" not in text
    assert "0" * 64 not in text
    assert "lttr_****" in text and "lttr_sandbox_****" in text


def test_virtualenvs_caches_and_vendored_trees_are_skipped(tmp_path: Path) -> None:
    dirty = "import smtplib\nsmtplib.SMTP('smtp.example.com')\n"
    for skipped in (
        ".venv/lib",
        "node_modules/pkg",
        ".git/hooks",
        "__pycache__",
        "lib/site-packages/x",
        "myenv",
    ):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "mailer.py").write_text(dirty)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "mailer.py").write_text(dirty)
    report = audit_path(tmp_path)
    assert [f.file for f in report.findings] == ["app/mailer.py"]
    assert report.files_scanned == 1


def test_a_single_file_can_be_audited() -> None:
    report = audit_path(SAMPLES / "dirty" / "lambda" / "handler.py")
    assert {(f.file, f.kind) for f in report.findings} == {
        ("handler.py", "smtp-in-serverless"),
        ("handler.py", "smtplib-direct"),
    }


def test_a_single_file_of_another_type_is_not_read(tmp_path: Path) -> None:
    notes = tmp_path / "NOTES.md"
    notes.write_text("password = hunter2\n")
    assert audit_path(notes).files_scanned == 0


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        audit_path(tmp_path / "nope")
