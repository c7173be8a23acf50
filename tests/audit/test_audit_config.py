"""Config files: .env, .ini/.cfg, .yaml, .toml (tomllib and the line-based fallback)."""

from __future__ import annotations

import textwrap

import pytest

from lettr_core.audit import config_checks
from lettr_core.audit.config_checks import (
    Entry,
    check_config_text,
    env_entries,
    ini_entries,
    is_config_file,
    toml_entries,
    yaml_entries,
)

KEY = "lttr_" + "0" * 64


def kinds(text: str, relpath: str) -> list[tuple[str, int]]:
    return [(f.kind, f.line) for f in check_config_text(textwrap.dedent(text), relpath)]


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        (".env", True), (".env.production", True), ("prod.env", True), (".flaskenv", True),
        ("setup.cfg", True), ("tox.ini", True), ("pyproject.toml", True), ("a.yml", True),
        ("a.yaml", True), ("README.md", False), ("environment.py", False), ("x.json", False),
    ],
)  # fmt: skip
def test_config_file_names(name: str, wanted: bool) -> None:
    assert is_config_file(name) is wanted


def test_env_entries() -> None:
    text = "# comment\nexport A=1\nB = 'two' # note\nC=\"x # not a comment\"\nnot a line\n"
    assert list(env_entries(text)) == [
        Entry(2, "A", "1"),
        Entry(3, "B", "two"),
        Entry(4, "C", "x # not a comment"),
    ]


def test_env_file_credentials_are_info_not_blockers() -> None:
    text = f"LETTR_API_KEY={KEY}\nSMTP_PASSWORD=hunter2\nEMPTY_PASSWORD=\n"
    findings = check_config_text(text, ".env")
    assert [(f.kind, f.line, f.severity) for f in findings] == [
        ("credential-in-env-file", 1, "info"),
        ("credential-in-env-file", 2, "info"),
    ]


def test_ini_sections_and_tox_setenv_continuations() -> None:
    text = """\
        [testenv]
        setenv =
            SMTP_PASSWORD = hunter2
        ; password = commented
        [mail]
        password: %(here)s/secret
        smtp_server = smtp.example.com
    """
    entries = list(ini_entries(textwrap.dedent(text)))
    assert Entry(3, "testenv.SMTP_PASSWORD", "hunter2") in entries
    assert all(e.line != 4 for e in entries)
    assert kinds(text, "tox.ini") == [("hardcoded-credential", 3), ("smtp-setting", 7)]


def test_yaml_paths_by_indentation() -> None:
    text = """\
        smtp:
          host: smtp.example.com
          auth:
            password: 'hunter2'  # oops
        other:
          password: |
            multi-line
        list:
          - name: x
            api_key: "${API_KEY}"
        compose:
          environment:
            - MAIL_PASSWORD=hunter2
    """
    entries = list(yaml_entries(textwrap.dedent(text)))
    assert Entry(2, "smtp.host", "smtp.example.com") in entries
    assert Entry(4, "smtp.auth.password", "hunter2") in entries
    assert Entry(6, "other.password", None) in entries
    assert Entry(10, "list.api_key", "${API_KEY}") in entries
    assert kinds(text, "conf/app.yaml") == [
        ("smtp-setting", 2),
        ("hardcoded-credential", 4),
        ("flask-mail-setting", 13),
        ("hardcoded-credential", 13),
    ]


def test_yaml_references_are_not_secrets() -> None:
    text = """\
        password: ${{ secrets.SMTP_PASSWORD }}
        api_key: !ENV ${LETTR_API_KEY}
        secret: "{{ vault_secret }}"
        token_password: ~
    """
    assert kinds(text, ".github/workflows/ci.yml") == []


TOML = f"""\
[lettr]
api_key = "{KEY}"
transport = "api"
timeout = 10

[tool.mail.smtp]
host = "smtp.example.com"
password = "hunter2"  # inline comment
inline = {{ user = "u", secret = "s3cr3t" }}
note = '''
password = "not a key, inside a multi-line string"
'''
"""


def test_toml_entries_with_tomllib() -> None:
    entries = list(toml_entries(TOML))
    assert Entry(2, "lettr.api_key", KEY) in entries
    assert Entry(4, "lettr.timeout", None) in entries
    assert Entry(8, "tool.mail.smtp.password", "hunter2") in entries
    assert Entry(9, "tool.mail.smtp.inline.secret", "s3cr3t") in entries
    assert all(e.line != 11 for e in entries)


def test_toml_findings() -> None:
    assert kinds(TOML, "pyproject.toml") == [
        ("hardcoded-credential", 2),
        ("smtp-setting", 7),
        ("hardcoded-credential", 8),
        ("hardcoded-credential", 9),
    ]


def test_toml_line_based_fallback_without_tomllib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10 has no tomllib: the same entries come from the lines alone."""
    monkeypatch.setattr(config_checks, "tomllib", None)
    assert kinds(TOML, "pyproject.toml") == [
        ("hardcoded-credential", 2),
        ("smtp-setting", 7),
        ("hardcoded-credential", 8),
        ("hardcoded-credential", 9),
    ]
    # without a parser an invalid file is read as far as it goes, not reported
    assert kinds('[x\npassword = "hunter2"\n', "a.toml") == [("hardcoded-credential", 2)]


@pytest.mark.skipif(config_checks.tomllib is None, reason="needs tomllib (Python 3.11+)")
def test_invalid_toml_is_a_parse_error() -> None:
    findings = check_config_text('[x\npassword = "hunter2"\n', "a.toml")
    assert [(f.kind, f.line) for f in findings] == [("parse-error", 1)]


def test_messages_mask_secrets() -> None:
    text = f"password = hunter2\nkey = {KEY}\nurl = smtps://u:hunter2@smtp.example.com\n"
    messages = " ".join(f.message for f in check_config_text(text, "app.ini"))
    assert "hunter2" not in messages and "0" * 64 not in messages
    assert "lttr_****" in messages and "smtp://****:****@****" in messages
