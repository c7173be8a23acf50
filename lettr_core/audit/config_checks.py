"""Checks on settings and config files: ``.env``, ``.ini``, ``.cfg``, ``.toml``, ``.yaml``.

Each format is read into ``(line, key, value)`` entries (``value`` None when it is not a plain
string), then one rule set applies: mail settings become ``*-setting`` findings and secrets
become ``hardcoded-credential`` (``credential-in-env-file`` in ``.env`` files, where secrets
belong as long as the file stays out of version control). Values that refer elsewhere
(``${SMTP_PASSWORD}``, ``%(password)s``, ``{{ secrets.X }}``) are not secrets.

TOML is parsed with :mod:`tomllib` where available (Python 3.11+), which also reports invalid
files; on 3.10 a line-based reader is used instead. YAML, INI and ``.env`` are read line by line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from .credentials import (
    credential_message,
    has_lettr_key,
    has_url_password,
    is_credential_name,
    is_secret_value,
)
from .findings import Finding
from .names import email_backend_message, setting_kind, setting_message

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    tomllib = None

CONFIG_SUFFIXES = (".ini", ".cfg", ".toml", ".yaml", ".yml")


class Entry(NamedTuple):
    """One ``key = value`` read from a config file; ``value`` None when not a plain string."""

    line: int
    key: str
    value: str | None


def is_env_file(name: str) -> bool:
    """``.env``, ``.env.local``, ``prod.env``, ``.flaskenv``."""
    return name in (".env", ".flaskenv") or name.startswith(".env.") or name.endswith(".env")


def is_config_file(name: str) -> bool:
    """True for the file names this module reads."""
    return is_env_file(name) or name.endswith(CONFIG_SUFFIXES)


def check_config_text(text: str, relpath: str) -> list[Finding]:
    """Every finding in one config file."""
    name = PurePosixPath(relpath).name
    env_file = is_env_file(name)
    findings: list[Finding] = []
    if env_file:
        entries = list(env_entries(text))
    elif name.endswith(".toml"):
        error = toml_error(text)
        if error:
            return [Finding("parse-error", relpath, error[0], f"not valid TOML: {error[1]}")]
        entries = list(toml_entries(text))
    elif name.endswith((".yaml", ".yml")):
        entries = list(yaml_entries(text))
    else:
        entries = list(ini_entries(text))
    for entry in entries:
        findings += _check_entry(entry, relpath, env_file)
    return findings


def _check_entry(entry: Entry, relpath: str, env_file: bool) -> list[Finding]:
    out: list[Finding] = []
    line, key, value = entry
    kind = setting_kind(key, value)
    if kind is not None:
        leaf = key.rsplit(".", 1)[-1]
        if leaf.upper() == "EMAIL_BACKEND":
            message = email_backend_message(value)
            if message:
                out.append(Finding(kind, relpath, line, message))
        else:
            out.append(Finding(kind, relpath, line, setting_message(kind, key)))
    if value is not None:
        named = is_credential_name(key) and is_secret_value(value)
        secret = named or has_lettr_key(value) or has_url_password(value)
        if secret:
            cred_kind = "credential-in-env-file" if env_file else "hardcoded-credential"
            out.append(Finding(cred_kind, relpath, line, credential_message(key, value)))
    return out


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _strip_comment(raw: str) -> str:
    """Drop a trailing `` # comment`` that is outside quotes."""
    raw = raw.strip()
    if raw and raw[0] in "\"'":
        end = raw.find(raw[0], 1)
        return raw[: end + 1] if end > 0 else raw
    return re.split(r"\s+[#;]", raw, maxsplit=1)[0].strip()


# -- .env ------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$")


def env_entries(text: str) -> Iterator[Entry]:
    """``KEY=value`` lines (``export`` allowed, ``#`` comments skipped)."""
    for number, line in enumerate(text.splitlines(), 1):
        match = _ENV_LINE.match(line)
        if match:
            yield Entry(number, match.group(1), _unquote(_strip_comment(match.group(2))))


# -- .ini / .cfg -----------------------------------------------------------------------------

_INI_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_INI_LINE = re.compile(r"^\s*([^\s=:#;\[][^=:]*?)\s*[=:]\s*(.*)$")


def ini_entries(text: str) -> Iterator[Entry]:
    """``key = value`` / ``key: value`` lines, keys prefixed with their section.

    Indented continuation lines of the ``KEY=value`` form (tox's ``setenv``) count as entries.
    """
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("#", ";")):
            continue
        header = _INI_SECTION.match(line)
        if header:
            section = header.group(1).strip()
            continue
        match = _INI_LINE.match(line)
        if match:
            key = f"{section}.{match.group(1)}" if section else match.group(1)
            yield Entry(number, key, _unquote(_strip_comment(match.group(2))))


# -- .yaml -----------------------------------------------------------------------------------

_YAML_LINE = re.compile(r"^(\s*)(-\s+)?([^\s#'\"{\[-][^:#]*?|\"[^\"]+\"|'[^']+')\s*:(?:\s+(.*))?$")
_YAML_NULLS = ("~", "null", "Null", "NULL")
_YAML_ENV_ITEM = re.compile(r"^\s*-\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)=(.*?)['\"]?\s*$")


def yaml_entries(text: str) -> Iterator[Entry]:
    """``key: value`` lines with their parent keys (by indentation), and ``- KEY=value`` items
    (docker-compose ``environment:`` lists). Block scalars and flow collections are skipped."""
    parents: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "---", "...")):
            continue
        item = _YAML_ENV_ITEM.match(line)
        if item:
            yield Entry(number, item.group(1), _unquote(item.group(2)))
            continue
        match = _YAML_LINE.match(line)
        if not match:
            continue
        indent = len(match.group(1)) + len(match.group(2) or "")
        key = _unquote(match.group(3))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        path = ".".join([p for _, p in parents] + [key])
        raw = _strip_comment(match.group(4) or "")
        if not raw:
            parents.append((indent, key))
            yield Entry(number, path, None)
            continue
        value: str | None = _unquote(raw)
        if (raw[0] in "|>[{&*!" and not raw.startswith("!ENV")) or raw in _YAML_NULLS:
            value = None
        yield Entry(number, path, value)


# -- .toml -----------------------------------------------------------------------------------

_TOML_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_TOML_KEY = rf"{_TOML_BARE_OR_QUOTED}(?:\s*\.\s*{_TOML_BARE_OR_QUOTED})*"
_TOML_VALUE = r"""\{|\"\"\"|'\'\'|"(?:[^"\\]|\\.)*"|'[^']*'|[^,}\s#]+"""
#: ``key = value`` at the start of a line or inside an inline table; a multi-line string's
#: opening delimiter is matched as the value on its own.
_TOML_PAIR = re.compile(rf"(?:^|(?<=[{{,]))\s*({_TOML_KEY})\s*=\s*({_TOML_VALUE})")
_MULTILINE = ('"' * 3, "'" * 3)


def toml_error(text: str) -> tuple[int, str] | None:
    """``(line, message)`` when :mod:`tomllib` rejects the file; None when fine or unavailable."""
    if tomllib is None:
        return None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return (int(match.group(1)) if match else 1, str(exc).split(" (at ")[0])
    return None


_TOML_DOT = re.compile(r"\s*\.\s*(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)")


def _toml_key(raw: str) -> str:
    return ".".join(_unquote(part) for part in _TOML_DOT.split(raw))


def toml_entries(text: str) -> Iterator[Entry]:
    """``key = value`` pairs (also inside inline tables) with their table's dotted path.

    With :mod:`tomllib` the value of each pair is taken from the parsed document when the pair
    can be found there (so escapes and types are right); otherwise from the line itself.
    """
    document: dict[str, Any] | None = None
    if tomllib is not None:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            document = None
    table = ""
    closing: str | None = None  # the delimiter ending the multi-line string we are in
    for number, line in enumerate(text.splitlines(), 1):
        if closing:
            if closing in line:
                closing = None
            continue
        if line.lstrip().startswith("#"):
            continue
        header = _TOML_TABLE.match(line)
        if header:
            table = _toml_key(header.group(1))
            continue
        inline: list[str] = []  # keys of the inline tables open at this point of the line
        for match in _TOML_PAIR.finditer(line):
            depth = line.count("{", 0, match.start()) - line.count("}", 0, match.start())
            del inline[max(depth, 0) :]
            path = ".".join(p for p in (table, *inline, _toml_key(match.group(1))) if p)
            raw = match.group(2)
            if raw == "{":
                inline.append(_toml_key(match.group(1)))
                continue
            if raw in _MULTILINE:
                if line.count(raw) == 1:
                    closing = raw
                yield Entry(number, path, None)
                continue
            yield Entry(number, path, _toml_value(document, path, raw))


def _toml_value(document: dict[str, Any] | None, path: str, raw: str) -> str | None:
    if document is not None:
        node: Any = document
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                node = None
                break
            node = node[part]
        if node is not None:
            return node if isinstance(node, str) else None
    if raw and raw[0] in "\"'":
        return _unquote(raw)
    return None
