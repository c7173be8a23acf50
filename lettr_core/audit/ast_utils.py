"""Small helpers for reading :mod:`ast` nodes: names, keywords, string literals."""

from __future__ import annotations

import ast
from collections.abc import Iterator

#: Calls that read a setting with a default: ``os.getenv("X", "default")``,
#: ``os.environ.get(...)``, ``config("X", default=...)`` (python-decouple), ``env.str(...)``.
ENV_GETTERS = frozenset({"getenv", "get", "config", "env", "str"})


def const_str(node: ast.AST | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def terminal_name(node: ast.AST) -> str | None:
    """``mail`` for ``mail`` / ``self.mail`` / ``app.mail``: the last name of a reference."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def target_name(target: ast.AST) -> str | None:
    """The name a value is stored under: ``X =``, ``obj.X =``, ``obj["X"] =``."""
    if isinstance(target, ast.Subscript):
        return const_str(target.slice)
    return terminal_name(target)


def has_keyword(call: ast.Call, name: str) -> bool:
    """True when the call passes ``name=...``."""
    return any(kw.arg == name for kw in call.keywords)


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The expression passed as ``name=...``, or None."""
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def arg(call: ast.Call, index: int, name: str | None = None) -> ast.expr | None:
    """Positional argument ``index`` of the call, else keyword ``name`` (None if absent)."""
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return keyword(call, name) if name else None


def literal_strings(node: ast.AST | None) -> Iterator[tuple[ast.Constant, str]]:
    """String literals that end up as the value: direct, in ``a if c else b``, ``x or "lit"``,
    or as the default of an environment lookup (``os.getenv("X", "lit")``)."""
    if node is None:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node, node.value
    elif isinstance(node, ast.IfExp):
        yield from literal_strings(node.body)
        yield from literal_strings(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from literal_strings(value)
    elif (
        isinstance(node, ast.Call)
        and terminal_name(node.func) in ENV_GETTERS
        and node.args
        and const_str(node.args[0]) is not None
    ):
        yield from literal_strings(arg(node, 1, "default"))


def in_modules(name: str, modules: tuple[str, ...]) -> bool:
    """``flask_mail.x`` is in ``("flask_mail",)``; ``flask_mailman`` is not."""
    return any(name == m or name.startswith(m + ".") for m in modules)


def is_none(node: ast.AST) -> bool:
    """True for the literal ``None``."""
    return isinstance(node, ast.Constant) and node.value is None
