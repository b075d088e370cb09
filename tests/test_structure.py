"""The house rules of the code, checked on its source so that they cannot drift back (issue 13): modules and
functions of a readable size, services that do not speak HTTP, the audit libraries' internals in one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "areas", "cnscd", "demo", "households", "imports", "members", "reports", "teams"]
MODULE_LINES = 400  # the bound: "no module of the apps over ~400 lines"
FUNCTION_LINES = 60  # "no function over ~60 besides SQL text"


def modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def text_lines(node: ast.AST) -> set[int]:
    """Lines that lie inside a multi-line string constant (SQL text, docstrings): they do not count."""
    lines: set[int] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and child.end_lineno > child.lineno:
            lines.update(range(child.lineno, child.end_lineno + 1))
        if isinstance(child, ast.JoinedStr) and child.end_lineno > child.lineno:
            lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def code_length(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    span = set(range(function.lineno, function.end_lineno + 1))
    return len(span - text_lines(function))


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_of_the_apps_is_over_the_bound():
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := p.read_text().count("\n")) > MODULE_LINES}
    assert long == {}


def test_no_function_of_the_apps_is_over_the_bound_besides_its_sql_text():
    long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and code_length(node) > FUNCTION_LINES:
                long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = code_length(node)
    assert long == {}


# The API's own plumbing: DRF is its language.
API_MODULES = {"cnscd/api.py", "cnscd/exceptions.py", "cnscd/parsers.py", "cnscd/routers.py", "cnscd/serializers.py"}
API_MODULES |= {"cnscd/pagination.py", "accounts/authentication.py"}


def outside_the_api() -> list[Path]:
    return [p for p in modules() if "api" not in p.parts and str(p.relative_to(ROOT)) not in API_MODULES]


@pytest.mark.parametrize("path", outside_the_api(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_api_raises_drfs_errors(path):
    """Services, selectors, pages, imports and tasks refuse with Django's ValidationError / PermissionDenied,
    translated once for the API (``cnscd.exceptions``) and once for the pages (``cnscd.forms.form_errors``)."""
    assert not {name for name in imports(path) if name.startswith("rest_framework.exceptions")}


def test_only_the_audit_module_reaches_into_pghistory_and_pgtrigger():
    """``pghistory`` is used on the models (``@pghistory.track``) and in settings; everything else goes through
    ``cnscd/audit.py``, whose contract tests/test_audit.py pins."""
    allowed = {ROOT / "cnscd" / "audit.py", ROOT / "cnscd" / "settings.py"}
    reaching = {}
    for path in modules():
        if path in allowed:
            continue
        names = {n for n in imports(path) if n.split(".")[0] in {"pghistory", "pgtrigger"}}
        if path.name == "models.py":
            names = {n for n in names if n not in {"pghistory"}}  # the models declare what they track
        if path.name == "admin.py":
            names = {n for n in names if n not in {"pghistory.admin", "pghistory.admin.EventModelAdmin"}}
        if names:
            reaching[str(path.relative_to(ROOT))] = sorted(names)
    assert reaching == {}
