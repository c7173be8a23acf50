"""Checks on Python source, read with :mod:`ast` only: the audited code is never imported or run.

Names are resolved through the module's own imports (``from django.core import mail`` makes
``mail.send_mail`` mean ``django.core.mail.send_mail``). The analysis is per module: a helper
that opens SMTP, called from a loop or a handler in another module, is not followed.
"""

from __future__ import annotations

import ast
import warnings

from .ast_utils import (
    arg,
    const_str,
    has_keyword,
    in_modules,
    is_none,
    keyword,
    literal_strings,
    target_name,
    terminal_name,
)
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
from .serverless import serverless_entry

_FLASK_MAIL_MODULES = ("flask_mail", "flask.ext.mail")
_SMTP_MODULES = ("smtplib", "aiosmtplib", *_FLASK_MAIL_MODULES, "django.core.mail")
_FLASK_MAIL_SENDS = frozenset({"send", "send_message", "connect"})


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
                    if in_modules(alias.name, _FLASK_MAIL_MODULES):
                        self._flask_mail_import(node, alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.imported.add(node.module)
                for alias in node.names:
                    qualified = f"{node.module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = qualified
                    self.imported.add(qualified)  # ``from django.core import mail``
                if in_modules(node.module, _FLASK_MAIL_MODULES) or (
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
            names = {n for n in (terminal_name(t) for t in targets) if n}
            qn = self.qualname(value.func)
            if qn in ("flask_mail.Mail", "flask.ext.mail.Mail"):
                self.mail_instances |= names
            elif is_django_mail(qn) in DJANGO_MESSAGE_CLASSES and not has_keyword(
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
            and any(in_modules(m, _FLASK_MAIL_MODULES) for m in self.imported)
        )

    def sends_over_smtp(self) -> bool:
        """True when the module imports an SMTP-based mail API."""
        if self._smtp_module is None:
            self._smtp_module = any(in_modules(m, _SMTP_MODULES) for m in self.imported)
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
            name = const_str(key)
            if name is not None:
                self._named_value(name, value, key or node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (
            has_lettr_key(node.value) or has_url_password(node.value)
        ):
            self.add("hardcoded-credential", node, credential_message(None, node.value))

    def _assignment(self, target: ast.AST, value: ast.expr) -> None:
        name = target_name(target)
        if name is not None:
            self._named_value(name, value, target)
        if (
            isinstance(target, ast.Attribute)
            and self.sends_over_smtp()
            and (
                (target.attr == "html" and not is_none(value))
                or (target.attr == "content_subtype" and const_str(value) == "html")
            )
        ):
            self.html_sites.append((target.lineno, f"{target.attr} set on a message"))

    def _named_value(self, name: str, value: ast.expr, at: ast.AST) -> None:
        # settings in Python are upper-case by convention (Django settings, Flask config keys)
        kind = setting_kind(name, const_str(value)) if name.isupper() else None
        if kind is not None:
            self._setting(kind, name, value, at)
        self._credential(name, value)

    def _credential(self, name: str, value: ast.expr, where: str = "") -> None:
        if not is_credential_name(name):
            return
        for literal, text in literal_strings(value):
            if is_secret_value(text):
                self.add("hardcoded-credential", literal, credential_message(name, text, where))

    def _setting(self, kind: str, name: str, value: ast.expr, at: ast.AST) -> None:
        upper = name.upper()
        if upper == "EMAIL_BACKEND":
            message = email_backend_message(const_str(value))
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
        for param, default in pairs:
            self._credential(param.arg, default, " (argument default)")

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
            name == "get_connection" or not has_keyword(node, "connection")
        ):
            self._loop_finding(node, f"{name}(...)")
        if name in DJANGO_HTML_MESSAGE_FUNCS:
            html = keyword(node, "html_message")
            if html is not None and not is_none(html):
                self.html_sites.append((node.lineno, f"{name}(html_message=...)"))

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = terminal_name(func.value)
        if func.attr in _FLASK_MAIL_SENDS and self._is_flask_mail(receiver):
            self.smtp_sites.append((node.lineno, f"Flask-Mail {receiver}.{func.attr}(...)"))
            self._loop_finding(node, f"Flask-Mail {receiver}.{func.attr}(...)")
        elif func.attr == "send" and self.loop_depth:
            fresh = (
                isinstance(func.value, ast.Call)
                and is_django_mail(self.qualname(func.value.func)) in DJANGO_MESSAGE_CLASSES
                and not has_keyword(func.value, "connection")
            )
            if fresh or (isinstance(func.value, ast.Name) and receiver in self.django_messages):
                self._loop_finding(node, "EmailMessage.send() without connection=")
        elif func.attr == "login" and len(node.args) >= 2:
            literal = const_str(node.args[1])
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
            name = const_str(node.args[0])
            if name:
                self._named_value(name, node.args[1], node)

    def _html_call(self, node: ast.Call, qn: str | None) -> None:
        if not self.sends_over_smtp():
            return
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else None
        name = qn.rsplit(".", 1)[-1] if qn else terminal_name(func)
        if name == "MIMEText" and const_str(arg(node, 1, "_subtype")) == "html":
            self.html_sites.append((node.lineno, 'MIMEText(..., "html")'))
        elif attr == "attach_alternative" and const_str(arg(node, 1, "mimetype")) == "text/html":
            self.html_sites.append((node.lineno, 'attach_alternative(..., "text/html")'))
        elif (
            attr in ("set_content", "add_alternative")
            and const_str(keyword(node, "subtype")) == "html"
        ):
            self.html_sites.append((node.lineno, f'{attr}(..., subtype="html")'))
        elif qn in ("flask_mail.Message", "flask.ext.mail.Message"):
            html = keyword(node, "html")
            if html is not None and not is_none(html):
                self.html_sites.append((node.lineno, "Flask-Mail Message(html=...)"))

    # -- whole-module findings --------------------------------------------------------------

    def _module_findings(self) -> None:
        if self.sends_over_smtp():
            for line, what in self.html_sites:
                self.add("html-over-smtp", line, f"HTML body built in code: {what}")
        entry = serverless_entry(self.tree, self.rel, self.qualname)
        if entry:
            for line, what in self.smtp_sites:
                self.add("smtp-in-serverless", line, f"{what} in a module that is {entry}")
