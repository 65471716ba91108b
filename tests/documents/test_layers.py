"""documents/ is the base of every reader: it points at nothing above it, and the
catalogue and linked-data packages reach reading and findings through it, not through
validation/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REGISTRY = Path(__file__).resolve().parents[2] / "registry"


def imported_modules(package: str) -> dict[str, set[str]]:
    """Return, per file of a package, the registry modules it imports (at any depth)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REGISTRY / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(REGISTRY))] = {n for n in names if n.startswith("registry")}
    return found


def test_documents_imports_only_itself() -> None:
    modules = imported_modules("documents")
    assert "documents/parse.py" in modules and "documents/findings.py" in modules
    upward = {file: sorted(n for n in names if not n.startswith("registry.documents"))
              for file, names in modules.items()}
    assert {file: names for file, names in upward.items() if names} == {}


@pytest.mark.parametrize("package", ["catalogue", "linked_data"])
def test_readers_do_not_reach_into_validation(package: str) -> None:
    modules = imported_modules(package)
    assert modules, package
    upward = {file: sorted(n for n in names if n.startswith("registry.validation"))
              for file, names in modules.items()}
    assert {file: names for file, names in upward.items() if names} == {}
