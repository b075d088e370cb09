"""The documents the code cites live in the repository (issue 13): every document of ``docs/`` named in the code, the
templates or the documents exists, every ``§N`` of the specification cited is one of its sections, and no
reference points outside the repository (to a sibling ``shared/`` folder)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("*.py", "*.md", "*.html", "*.js", "*.yml", "*.txt", "Makefile")
OUTSIDE = "../" + "shared/"
CITATION = re.compile(r"docs/([A-Za-z_]+\.md)`?(?: ?§ ?(\d+))?")


def cited_files() -> list[Path]:
    skipped = {".venv", ".git", ".data", "node_modules", "staticfiles"}
    return [
        path
        for pattern in SOURCES
        for path in ROOT.rglob(pattern)
        if not skipped & set(path.relative_to(ROOT).parts) and path.is_file()
    ]


def test_the_product_documents_are_in_the_repository():
    for name in ("SPEC.md", "API.md", "TARGETS.md", "STYLE.md"):
        text = (ROOT / "docs" / name).read_text()
        assert text.startswith("# ") and len(text) > 2000, name


def test_every_cited_document_and_section_exists():
    sections = {m.group(1) for m in re.finditer(r"^## (\d+)\.", (ROOT / "docs" / "SPEC.md").read_text(), re.M)}
    missing = []
    citations = 0
    for path in cited_files():
        text = path.read_text(errors="replace")
        assert OUTSIDE not in text, f"{path.relative_to(ROOT)} cites a document outside the repository"
        for match in CITATION.finditer(text):
            citations += 1
            name, section = match.groups()
            if not (ROOT / "docs" / name).is_file():
                missing.append(f"{path.relative_to(ROOT)}: docs/{name}")
            elif name == "SPEC.md" and section and section not in sections:
                missing.append(f"{path.relative_to(ROOT)}: docs/SPEC.md §{section}")
    assert citations > 30
    assert not missing, missing


APPS = ("accounts", "areas", "cnscd", "demo", "households", "imports", "members", "reports", "teams")
OURS = ("bench", "deploy", "docs", "robustness", "scripts", "static", "templates", "tests", *APPS)


def _resolves(dotted: str) -> bool:
    """``app.Model``, ``app.module.name`` or ``app.module.Class.method``: the code still has it."""
    import importlib

    from django.apps import apps

    parts = dotted.split(".")
    if len(parts) == 2 and parts[1][:1].isupper():
        try:
            apps.get_model(parts[0], parts[1])
            return True
        except LookupError:
            pass
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_the_documents_name_files_and_functions_the_code_still_has():
    """The guides (docs/*.md besides the product documents, the README) cite ``path/file.py`` and
    ``app.module.function``: a rename that forgets them fails here instead of misleading a reader."""
    product = {"SPEC.md", "API.md", "TARGETS.md", "STYLE.md"}
    guides = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md")) if p.name not in product)]
    stale, checked = [], 0
    for guide in guides:
        for token in re.findall(r"`([^`\s]+)`", guide.read_text()):
            token = token.split("(")[0].rstrip(".,:")
            if "/" in token and token.split("/")[0] in OURS and re.fullmatch(r"[\w./-]+\.\w+", token):
                checked += 1
                if not (ROOT / token).exists():
                    stale.append(f"{guide.name}: {token}")
            elif re.fullmatch(rf"({'|'.join(APPS)})(\.\w+)+", token) and not token.endswith((".md", ".py")):
                checked += 1
                if not _resolves(token):
                    stale.append(f"{guide.name}: {token}")
    assert checked > 50
    assert not stale, stale
