"""Which app may import which (issue 13, "the house"): the base apps do not import the apps built on them.

``areas`` is the base (it may import only ``cnscd`` and ``accounts``); ``accounts`` (users and role assignments)
stands beside it. Neither imports the apps above them — teams, members, households, imports, reports, or the demo
data — so a change up there never reaches the login or the scoping of areas. Every module counts, migrations and
imports inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE = {"households", "members", "teams", "reports", "imports", "demo"}


def imported_apps(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in the module the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def modules(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


@pytest.mark.parametrize("app", ["accounts", "areas"])
def test_the_base_apps_import_none_of_the_apps_above_them(app):
    assert modules(app)
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & ABOVE)
        for path in modules(app)
        if imported_apps(path) & ABOVE
    }
    assert wrong == {}
