"""The layout promises of docs/architecture.md, held by a test.

* the ``clientwise`` package has no import cycles (imports under ``TYPE_CHECKING`` and
  inside functions count too: a cycle there is still two modules that need each other);
* no module imports another module's private (``_name``) names;
* no module is over 400 lines;
* the example plugins import nothing from clientwise but ``clientwise.sdk``;
* every package folder is listed in pyproject.toml, so a built wheel holds it.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIRS = CONFIG["tool"]["setuptools"]["package-dir"]
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in sorted(PACKAGE_DIRS.items(), key=lambda item: -len(item[0])):
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.setdefault(".".join([package, *parts]), path)
    return found


MODULES = _modules()


def _owner(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import in the file."""
    found: list[tuple[str, str | None]] = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full, None) if full in MODULES else (base, alias.name))
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        for target, _name in _imports(module, path):
            owner = _owner(target) if target.startswith("clientwise") else None
            if owner and owner != module:
                graph[module].add(owner)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_finder_sees_the_package() -> None:
    assert {"clientwise.runtime.evaluator", "clientwise.plugins.sections.segmentation"} <= set(MODULES)
    assert "clientwise.host.manager" in _graph()["clientwise.runtime.evaluator"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_no_private_names_imported_across_modules() -> None:
    private = [
        f"{module} imports {target}.{name}"
        for module, path in MODULES.items()
        for target, name in _imports(module, path)
        if target.startswith("clientwise") and name and name.startswith("_") and not name.startswith("__")
        and _owner(target) != module
    ]
    assert private == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by job (at most {MAX_LINES})"


def test_example_plugins_import_only_the_sdk() -> None:
    sources = sorted((ROOT / "examples").rglob("*.py"))
    assert sources
    outside = sorted({
        f"{path.relative_to(ROOT)}: {target}"
        for path in sources
        for target, _name in _imports("example", path)
        if target.startswith("clientwise") and target != "clientwise.sdk" and not target.startswith("clientwise.sdk.")
        and not target.startswith(("clientwise_nps", "clientwise_rfm"))
    })
    assert outside == []


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    listed = set(CONFIG["tool"]["setuptools"]["packages"])
    packages = {module for module, path in MODULES.items() if path.name == "__init__.py"}
    assert packages - listed == set()
