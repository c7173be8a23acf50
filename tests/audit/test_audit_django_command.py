"""``manage.py lettr_audit`` through ``call_command``, with a minimal Django configuration."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def django_settings() -> Iterator[None]:
    """Configure Django when nothing else has (lazily, so other suites may configure first)."""
    if not settings.configured:
        settings.configure(INSTALLED_APPS=["lettr_django"], USE_TZ=True)
    django.setup()
    with override_settings(INSTALLED_APPS=["lettr_django"]):
        yield


def audit(*args: str, **options: object) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("lettr_audit", *args, stdout=out, **options)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_audits_base_dir_by_default(django_settings: None) -> None:
    with override_settings(BASE_DIR=SAMPLES / "dirty" / "lambda"):
        out, error = audit("--format", "json")
    assert error is None
    report = json.loads(out)
    assert report["root"] == str((SAMPLES / "dirty" / "lambda").resolve())
    assert report["summary"]["by_kind"] == {"smtplib-direct": 1, "smtp-in-serverless": 1}


def test_a_given_path_wins_over_base_dir(django_settings: None) -> None:
    with override_settings(BASE_DIR=SAMPLES / "dirty"):
        out, error = audit(str(SAMPLES / "clean" / "lambda"))
    assert error is None
    assert "No SMTP use" in out


def test_strict_fails_with_exit_status_1_after_printing(django_settings: None) -> None:
    out, error = audit(str(SAMPLES / "dirty" / "django_settings"), strict=True)
    assert error is not None and error.returncode == 1
    assert "[BLOCKER] hardcoded-credential" in out
    assert "hunter2" not in out and "0" * 64 not in out


def test_strict_passes_without_blockers(django_settings: None) -> None:
    out, error = audit(str(SAMPLES / "dirty" / "django_loop"), "--strict")
    assert error is None
    assert "smtp-connection-in-loop" in out


def test_without_base_dir_or_path_it_says_what_to_do(django_settings: None) -> None:
    with override_settings(BASE_DIR=None):
        out, error = audit()
    assert out == ""
    assert error is not None and "BASE_DIR" in str(error)


def test_missing_path_and_bad_format(django_settings: None) -> None:
    _, error = audit("/no/such/project")
    assert error is not None and error.returncode == 2
    _, error = audit(str(SAMPLES / "clean"), "--format", "xml")
    assert error is not None and "xml" in str(error)


def test_exclude_option(django_settings: None) -> None:
    out, error = audit(str(SAMPLES / "dirty" / "django_settings"), "--strict", "--exclude", "*.py")
    assert error is None
    assert "No SMTP use" in out
