"""Checks on Python source, read with :mod:`ast` only: the audited code is never imported or run.

Names are resolved through the module's own imports (``from django.core import mail`` makes
``mail.send_mail`` mean ``django.core.mail.send_mail``). The analysis is per module: a helper
that opens SMTP, called from a loop or a handler in another module, is not followed.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator

from .credentials import (
    credential_message,
    has_lettr_key,
    has_url_password,
    is_credential_name,
    is_secret_value,
)
from .findings import Finding
from .names import (
    DJANGO_CONNECTION_OPENERS,
    DJANGO_HTML_MESSAGE_FUNCS,
    DJANGO_MESSAGE_CLASSES,
    SMTP_CONSTRUCTORS,
    email_backend_message,
    is_django_mail,
    setting_kind,
    setting_message,
)

_FLASK_MAIL_MODULES = ("flask_mail", "flask.ext.mail")
_SMTP_MODULES = ("smtplib", "aiosmtplib", *_FLASK_MAIL_MODULES, "django.core.mail")
_ENV_GETTERS = frozenset({"getenv", "get", "config", "env", "str"})
_FLASK_MAIL_SENDS = frozenset({"send", "send_message", "connect"})
_GCF_DECORATORS = frozenset({"functions_framework.http", "functions_framework.cloud_event"})
_Scope = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def check_python_source(source: bytes, relpath: str) -> list[Finding]:
    """Every finding in one Python file; a file that does not parse is one ``parse-error``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the audited code are not ours
            tree = ast.parse(source, filename=relpath)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or 1
        reason = getattr(exc, "msg", None) or type(exc).__name__
        return [Finding("parse-error", relpath, line, f"not valid Python: {reason}")]
    return _ModuleAudit(tree, relpath).run()


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _terminal_name(node: ast.AST) -> str | None:
    """``mail`` for ``mail`` / ``self.mail`` / ``app.mail``: the last name of a reference."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _target_name(target: ast.AST) -> str | None:
    """The name a value is stored under: ``X =``, ``obj.X =``, ``obj["X"] =``."""
    if isinstance(target, ast.Subscript):
        return _const_str(target.slice)
    return _terminal_name(target)


def _has_keyword(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name for kw in call.keywords)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _arg(call: ast.Call, index: int, name: str | None = None) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return _keyword(call, name) if name else None


def _literal_strings(node: ast.AST | None) -> Iterator[tuple[ast.Constant, str]]:
    """String literals that end up as the value: direct, in ``a if c else b``, ``x or "lit"``,
    or as the default of an environment lookup (``os.getenv("X", "lit")``)."""
    if node is None:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node, node.value
    elif isinstance(node, ast.IfExp):
        yield from _literal_strings(node.body)
        yield from _literal_strings(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _literal_strings(value)
    elif (
        isinstance(node, ast.Call)
        and _terminal_name(node.func) in _ENV_GETTERS
        and node.args
        and _const_str(node.args[0]) is not None
    ):
        yield from _literal_strings(_arg(node, 1, "default"))


class _ModuleAudit(ast.NodeVisitor):
    """One pass over a module; collects findings, then adds the per-module ones."""

    def __init__(self, tree: ast.Module, relpath: str) -> None:
        self.tree = tree
        self.rel = relpath
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = {}
        self.imported: set[str] = set()
        self.mail_instances: set[str] = set()  # names bound to flask_mail.Mail(...)
        self.django_messages: set[str] = set()  # names bound to EmailMessage(...) w/o connection
        self.loop_depth = 0
        self.smtp_sites: list[tuple[int, str]] = []  # (line, what) of SMTP connections opened
        self.html_sites: list[tuple[int, str]] = []
        self._seen: set[tuple[str, int, str]] = set()
        self._called: set[int] = set()  # ids of nodes that are the function of a call
        self._smtp_module: bool | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        self._collect_imports()
        self._collect_instances()
        self.visit(self.tree)
        self._module_findings()
        return self.findings

    def add(self, kind: str, node: ast.AST | int, message: str, advice: str = "") -> None:
        line = node if isinstance(node, int) else getattr(node, "lineno", 1)
        key = (kind, line, message if kind != "hardcoded-credential" else "")
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(kind, self.rel, line, message, advice))

    def qualname(self, node: ast.AST) -> str | None:
        """Dotted name of ``node`` through the module's imports, or None when not imported."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _collect_imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imported.add(alias.name)
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        self.aliases[top] = top
                    if _in_modules(alias.name, _FLASK_MAIL_MODULES):
                        self._flask_mail_import(node, alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.imported.add(node.module)
                for alias in node.names:
                    qualified = f"{node.module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = qualified
                    self.imported.add(qualified)  # ``from django.core import mail``
                if _in_modules(node.module, _FLASK_MAIL_MODULES) or (
                    node.module == "flask.ext" and any(a.name == "mail" for a in node.names)
                ):
                    self._flask_mail_import(node, node.module)

    def _flask_mail_import(self, node: ast.AST, module: str) -> None:
        self.add("flask-mail-import", node, f"imports {module} (Flask-Mail)")

    def _collect_instances(self) -> None:
        for node in ast.walk(self.tree):
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            value = node.value
            if not isinstance(value, ast.Call):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n for n in (_terminal_name(t) for t in targets) if n}
            qn = self.qualname(value.func)
            if qn in ("flask_mail.Mail", "flask.ext.mail.Mail"):
                self.mail_instances |= names
            elif is_django_mail(qn) in DJANGO_MESSAGE_CLASSES and not _has_keyword(
                value, "connection"
            ):
                self.django_messages |= names

    def _is_flask_mail(self, name: str | None) -> bool:
        """A Flask-Mail ``Mail`` here, or ``mail`` imported from the app in a Flask-Mail module."""
        if name in self.mail_instances:
            return True
        return (
            name == "mail"
            and not (self.aliases.get("mail") or "").startswith("django.")
            and any(_in_modules(m, _FLASK_MAIL_MODULES) for m in self.imported)
        )

    def sends_over_smtp(self) -> bool:
        """True when the module imports an SMTP-based mail API."""
        if self._smtp_module is None:
            self._smtp_module = any(_in_modules(m, _SMTP_MODULES) for m in self.imported)
        return self._smtp_module

    # -- scopes and loops -------------------------------------------------------------------

    def _visit_scope(self, node: ast.AST) -> None:
        saved, self.loop_depth = self.loop_depth, 0
        self.generic_visit(node)
        self.loop_depth = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function_defaults(node)
        self._visit_scope(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function_defaults(node)
        self._visit_scope(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_scope(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._visit_scope(node)

    def _in_loop(self, nodes: list[ast.AST]) -> None:
        self.loop_depth += 1
        for child in nodes:
            self.visit(child)
        self.loop_depth -= 1

    def _visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.target)
        self.visit(node.iter)
        self._in_loop(list(node.body))
        for child in node.orelse:
            self.visit(child)

    def visit_For(self, node: ast.For) -> None:
        self._visit_for(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._visit_for(node)

    def visit_While(self, node: ast.While) -> None:
        self._in_loop([node.test, *node.body])
        for child in node.orelse:
            self.visit(child)

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        first, *rest = node.generators
        self.visit(first.iter)
        parts: list[ast.AST] = [first.target, *first.ifs]
        for gen in rest:
            parts += [gen.target, gen.iter, *gen.ifs]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._in_loop(parts)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comprehension(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._visit_comprehension(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._visit_comprehension(node)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comprehension(node)

    # -- values stored under a name: settings and credentials ---------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assignment(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assignment(node.target, node.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            name = _const_str(key)
            if name is not None:
                self._named_value(name, value, key or node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (
            has_lettr_key(node.value) or has_url_password(node.value)
        ):
            self.add("hardcoded-credential", node, credential_message(None, node.value))

    def _assignment(self, target: ast.AST, value: ast.expr) -> None:
        name = _target_name(target)
        if name is not None:
            self._named_value(name, value, target)
        if (
            isinstance(target, ast.Attribute)
            and self.sends_over_smtp()
            and (
                (target.attr == "html" and not _is_none(value))
                or (target.attr == "content_subtype" and _const_str(value) == "html")
            )
        ):
            self.html_sites.append((target.lineno, f"{target.attr} set on a message"))

    def _named_value(self, name: str, value: ast.expr, at: ast.AST) -> None:
        # settings in Python are upper-case by convention (Django settings, Flask config keys)
        kind = setting_kind(name, _const_str(value)) if name.isupper() else None
        if kind is not None:
            self._setting(kind, name, value, at)
        self._credential(name, value)

    def _credential(self, name: str, value: ast.expr, where: str = "") -> None:
        if not is_credential_name(name):
            return
        for literal, text in _literal_strings(value):
            if is_secret_value(text):
                self.add("hardcoded-credential", literal, credential_message(name, text, where))

    def _setting(self, kind: str, name: str, value: ast.expr, at: ast.AST) -> None:
        upper = name.upper()
        if upper == "EMAIL_BACKEND":
            message = email_backend_message(_const_str(value))
            if message:
                self.add(kind, at, message)
            return
        self.add(kind, at, setting_message(kind, name))

    def _function_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        with_defaults = positional[len(positional) - len(args.defaults) :]
        pairs = list(zip(with_defaults, args.defaults, strict=True))
        pairs += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        for arg, default in pairs:
            self._credential(arg.arg, default, " (argument default)")

    # -- calls ------------------------------------------------------------------------------

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._smtp_reference(node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._smtp_reference(node)

    def _smtp_reference(self, node: ast.Attribute | ast.Name) -> None:
        """``cls = smtplib.SMTP_SSL if ssl else smtplib.SMTP``: SMTP used without a direct call."""
        if id(node) in self._called or not isinstance(node.ctx, ast.Load):
            return
        qn = self.qualname(node)
        if qn in SMTP_CONSTRUCTORS:
            self.add("smtplib-direct", node, f"{qn} used to open SMTP connections")

    def visit_Call(self, node: ast.Call) -> None:
        self._called.add(id(node.func))
        qn = self.qualname(node.func)
        if qn in SMTP_CONSTRUCTORS:
            self._smtp_constructor(node, qn)
        django = is_django_mail(qn)
        if django:
            self._django_call(node, django)
        if isinstance(node.func, ast.Attribute):
            self._method_call(node, node.func)
        self._html_call(node, qn)
        for kw in node.keywords:
            if kw.arg:
                self._named_value(kw.arg, kw.value, kw.value)
        self.generic_visit(node)

    def _loop_finding(self, node: ast.AST, what: str) -> None:
        if self.loop_depth:
            message = f"{what} inside a loop: a new connection per pass"
            self.add("smtp-connection-in-loop", node, message)

    def _smtp_constructor(self, node: ast.Call, qn: str) -> None:
        self.add("smtplib-direct", node, f"{qn}(...) opens an SMTP connection directly")
        self.smtp_sites.append((node.lineno, f"{qn}(...)"))
        self._loop_finding(node, f"{qn}(...)")

    def _django_call(self, node: ast.Call, name: str) -> None:
        self.add("django-mail-call", node, f"django.core.mail.{name}(...)")
        if name in DJANGO_CONNECTION_OPENERS and (
            name == "get_connection" or not _has_keyword(node, "connection")
        ):
            self._loop_finding(node, f"{name}(...)")
        if name in DJANGO_HTML_MESSAGE_FUNCS:
            html = _keyword(node, "html_message")
            if html is not None and not _is_none(html):
                self.html_sites.append((node.lineno, f"{name}(html_message=...)"))

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = _terminal_name(func.value)
        if func.attr in _FLASK_MAIL_SENDS and self._is_flask_mail(receiver):
            self.smtp_sites.append((node.lineno, f"Flask-Mail {receiver}.{func.attr}(...)"))
            self._loop_finding(node, f"Flask-Mail {receiver}.{func.attr}(...)")
        elif func.attr == "send" and self.loop_depth:
            fresh = (
                isinstance(func.value, ast.Call)
                and is_django_mail(self.qualname(func.value.func)) in DJANGO_MESSAGE_CLASSES
                and not _has_keyword(func.value, "connection")
            )
            if fresh or (isinstance(func.value, ast.Name) and receiver in self.django_messages):
                self._loop_finding(node, "EmailMessage.send() without connection=")
        elif func.attr == "login" and len(node.args) >= 2:
            literal = _const_str(node.args[1])
            if literal and is_secret_value(literal):
                self.add(
                    "hardcoded-credential",
                    node.args[1],
                    credential_message("the password", literal, " passed to login()"),
                )
        elif (
            func.attr == "setdefault"
            and (self.qualname(func.value) or "").endswith("environ")
            and len(node.args) == 2
        ):
            name = _const_str(node.args[0])
            if name:
                self._named_value(name, node.args[1], node)

    def _html_call(self, node: ast.Call, qn: str | None) -> None:
        if not self.sends_over_smtp():
            return
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else None
        name = qn.rsplit(".", 1)[-1] if qn else _terminal_name(func)
        if name == "MIMEText" and _const_str(_arg(node, 1, "_subtype")) == "html":
            self.html_sites.append((node.lineno, 'MIMEText(..., "html")'))
        elif attr == "attach_alternative" and _const_str(_arg(node, 1, "mimetype")) == "text/html":
            self.html_sites.append((node.lineno, 'attach_alternative(..., "text/html")'))
        elif (
            attr in ("set_content", "add_alternative")
            and _const_str(_keyword(node, "subtype")) == "html"
        ):
            self.html_sites.append((node.lineno, f'{attr}(..., subtype="html")'))
        elif qn in ("flask_mail.Message", "flask.ext.mail.Message"):
            html = _keyword(node, "html")
            if html is not None and not _is_none(html):
                self.html_sites.append((node.lineno, "Flask-Mail Message(html=...)"))

    # -- whole-module findings --------------------------------------------------------------

    def _module_findings(self) -> None:
        if self.sends_over_smtp():
            for line, what in self.html_sites:
                self.add("html-over-smtp", line, f"HTML body built in code: {what}")
        entry = self._serverless_entry()
        if entry:
            for line, what in self.smtp_sites:
                self.add("smtp-in-serverless", line, f"{what} in a module that is {entry}")

    def _serverless_entry(self) -> str | None:
        parts = self.rel.split("/")
        in_api_dir = "api" in parts[:-1]
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
                if _is_lambda_handler(node.name, params):
                    return f"an AWS Lambda handler ({node.name}, line {node.lineno})"
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if self.qualname(target) in _GCF_DECORATORS:
                        return f"a Google Cloud Function ({node.name}, line {node.lineno})"
                if parts[-1] == "main.py" and node.name == "main" and params == ["request"]:
                    return f"a Google Cloud Function (main, line {node.lineno})"
            if in_api_dir:
                names = [getattr(node, "name", None)]
                if isinstance(node, ast.Assign):
                    names = [_terminal_name(t) for t in node.targets]
                if "handler" in names or "app" in names:
                    return f"a Vercel function (api/ entry point, line {node.lineno})"
        return None


_LAMBDA_EVENT = {"event", "evt", "_event", "e", "_"}
_LAMBDA_CONTEXT = {"context", "ctx", "_context", "_ctx", "c", "_"}


def _is_lambda_handler(name: str, params: list[str]) -> bool:
    """``lambda_handler(x, y)``, ``handler(event, context)``, any ``f(event, context)``; not
    ``handler(signum, frame)``."""
    if len(params) < 2:
        return False
    if name == "lambda_handler" or params[:2] == ["event", "context"]:
        return True
    return name == "handler" and (params[0] in _LAMBDA_EVENT or params[1] in _LAMBDA_CONTEXT)


def _in_modules(name: str, modules: tuple[str, ...]) -> bool:
    """``flask_mail.x`` is in ``("flask_mail",)``; ``flask_mailman`` is not."""
    return any(name == m or name.startswith(m + ".") for m in modules)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
