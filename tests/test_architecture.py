"""The package's shape: no import cycle in registry/, no private name imported across modules.

Both read the source with `ast` (nothing is imported), counting every import: at the top
of a module, inside a function (a lazy import is still a dependency) and under
TYPE_CHECKING. Importing a submodule also runs its parents' __init__; that implicit
edge is not counted, only the imports the code writes.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "registry"


def _modules() -> dict[str, Path]:
    """Return every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(module: str, level: int, importer: str, is_package: bool) -> str:
    if not level:
        return module
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """Return (imported module, names taken from it, line) for every import of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module or "", node.level, name, path.name == "__init__.py")
            names = []
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:  # `from registry.web import catalogue`
                    out.append((submodule, [], node.lineno))
                else:
                    names.append(alias.name)
            if names:
                out.append((source, names, node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _names, _line in _imports(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_sees_the_package():
    graph = _graph()
    assert "registry.web.catalogue" in graph
    assert "registry.web.shared.i18n" in graph["registry.web.shared.terms"]


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_registry():
    assert _cycles(_graph()) == []


def test_no_private_name_is_imported_from_another_module():
    offenders = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            if not target.startswith("registry") or target == name:
                continue
            for imported in names:
                if imported.startswith("_") and not imported.startswith("__"):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: "
                                     f"{imported} from {target}")
    assert offenders == []


def _layout() -> str:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readme_layout_names_every_folder_of_the_package_and_the_repository():
    layout = _layout()
    # The package's folders and the web layer's (deeper ones are data: migrations, ...).
    folders = [p for parent in (PACKAGE, PACKAGE / "web") for p in parent.iterdir()
               if p.is_dir() and p.name != "__pycache__"]
    for folder in folders:
        assert f"{folder.name}/ " in layout, folder
    named = {line.split()[0].rstrip("/") for line in layout.splitlines()
             if line.strip() and not line.startswith(" ")}
    for name in named - {"registry"}:
        assert (PACKAGE.parent / name).exists(), name


def test_analysis_computes_and_draws_nothing():
    """Drawing is registry/svg/'s: analysis/ writes no SVG and imports no drawing code."""
    for name, path in MODULES.items():
        if not name.startswith("registry.analysis"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "<svg" not in text and "</" not in text, path
        for target, _names, line in _imports(name, path):
            assert not target.startswith(("registry.svg", "registry.web")), (path, line)


def test_drawing_is_kept_apart_from_the_web():
    for name, path in MODULES.items():
        if name.startswith("registry.svg"):
            for target, _names, line in _imports(name, path):
                assert not target.startswith(("registry.web", "flask")), (path, line)


def test_no_test_module_imports_another_test_module():
    """Tests share through tests/helpers.py and conftest fixtures, never test_*.py."""
    tests = PACKAGE.parent / "tests"
    offenders = []
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_"):
                    offenders.append(f"{path.relative_to(tests.parent)}:{node.lineno}: {name}")
    assert offenders == []
