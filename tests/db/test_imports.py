"""db/ does not import the crawler: what they share (items.py) lives outside both (issue 8)."""

from __future__ import annotations

import ast

import pytest
from support import REPO

DB_MODULES = sorted((REPO / "db").rglob("*.py"))


def crawler_imports(source: str) -> list[str]:
    """The modules under crawler/ that `source` imports, anywhere in it (lazy imports too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "crawler"]
    return found


@pytest.mark.parametrize("source, found", [
    ("from crawler.items import ArticleItem", ["crawler.items"]),
    ("import crawler.urls as urls", ["crawler.urls"]),
    ("from crawler import text", ["crawler"]),
    ("def f():\n    from crawler.text import storable\n", ["crawler.text"]),
    ("from items import ArticleItem\nfrom db.models import Feed", []),
    ("from crawlers import x\nimport crawling", []),
    ("from . import models", []),
], ids=["from-import", "import-as", "the-package", "inside-a-function", "items-and-db",
        "similar-names", "relative"])
def test_crawler_imports_are_found_wherever_they_are(source, found):
    assert crawler_imports(source) == found


@pytest.mark.parametrize("path", DB_MODULES, ids=[str(p.relative_to(REPO)) for p in DB_MODULES])
def test_no_db_module_imports_the_crawler(path):
    assert crawler_imports(path.read_text(encoding="utf-8")) == []
