"""Serverless entry points: AWS Lambda handlers, Vercel ``api/`` functions, Cloud Functions.

A module counts as serverless when it defines one of these at top level; SMTP opened anywhere in
that module is then reported as ``smtp-in-serverless``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .ast_utils import terminal_name

#: Decorators of Google Cloud Functions (``functions_framework``).
GCF_DECORATORS = frozenset({"functions_framework.http", "functions_framework.cloud_event"})
_LAMBDA_EVENT = {"event", "evt", "_event", "e", "_"}
_LAMBDA_CONTEXT = {"context", "ctx", "_context", "_ctx", "c", "_"}


def is_lambda_handler(name: str, params: list[str]) -> bool:
    """``lambda_handler(x, y)``, ``handler(event, context)``, any ``f(event, context)``; not
    ``handler(signum, frame)``."""
    if len(params) < 2:
        return False
    if name == "lambda_handler" or params[:2] == ["event", "context"]:
        return True
    return name == "handler" and (params[0] in _LAMBDA_EVENT or params[1] in _LAMBDA_CONTEXT)


def serverless_entry(
    tree: ast.Module, relpath: str, qualname: Callable[[ast.AST], str | None]
) -> str | None:
    """What makes this module a serverless entry point (for messages), or None."""
    parts = relpath.split("/")
    in_api_dir = "api" in parts[:-1]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            if is_lambda_handler(node.name, params):
                return f"an AWS Lambda handler ({node.name}, line {node.lineno})"
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if qualname(target) in GCF_DECORATORS:
                    return f"a Google Cloud Function ({node.name}, line {node.lineno})"
            if parts[-1] == "main.py" and node.name == "main" and params == ["request"]:
                return f"a Google Cloud Function (main, line {node.lineno})"
        if in_api_dir:
            names = [getattr(node, "name", None)]
            if isinstance(node, ast.Assign):
                names = [terminal_name(t) for t in node.targets]
            if "handler" in names or "app" in names:
                return f"a Vercel function (api/ entry point, line {node.lineno})"
    return None
