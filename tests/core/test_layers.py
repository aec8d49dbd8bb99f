"""The layers, read from the code: every arrow points down, no package or file imports in a circle.

Imports are read with ``ast`` from every module of the namespace: module-level and function-level
imports alike, ``if TYPE_CHECKING:`` blocks excluded (they do not run).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "readiness_harness"
PACKAGE_DIR: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
    "package-dir"]
TOP = {name.removeprefix(f"{NAMESPACE}.") if name != NAMESPACE else "harness": folder
       for name, folder in PACKAGE_DIR.items()}

# What each top-level package may import (besides itself): DESIGN.md's picture of the layers.
ALLOWED = {
    "contract": set(),
    "system_under_test": set(),
    "chaos": {"contract"},
    "loadtests": {"contract"},
    "reports": {"contract"},
    "checks": {"contract", "chaos", "loadtests"},
    "harness": {"contract", "chaos", "loadtests", "checks", "reports"},
}


def module_files() -> Iterator[tuple[str, Path]]:
    """(dotted module name, file) for every module of the namespace."""
    for name, folder in PACKAGE_DIR.items():
        base = ROOT / folder
        for path in sorted(base.rglob("*.py")):
            relative = path.relative_to(base).with_suffix("")
            if any(part in {"__pycache__"} for part in relative.parts):
                continue
            if any(f"{name}.{'.'.join(relative.parts[:n])}" in PACKAGE_DIR for n in range(1, len(relative.parts))):
                continue  # a folder mapped on its own (readiness_harness.checks is not harness/checks)
            parts = [p for p in relative.parts if p != "__init__"]
            yield ".".join([name, *parts]), path


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path) -> set[str]:
    """Every module of the namespace that ``module`` imports when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from pkg import sub`` imports the submodule; ``from pkg import name`` imports pkg
            submodules = {f"{base}.{alias.name}" for alias in node.names} & KNOWN
            found.update(submodules or {base})
            if len(submodules) < len(node.names):
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name == NAMESPACE or name.startswith(f"{NAMESPACE}.")}


def top_of(module: str) -> str:
    rest = module.removeprefix(f"{NAMESPACE}.").split(".")[0] if module != NAMESPACE else ""
    return rest if rest in TOP and rest != "harness" else "harness"


MODULES = dict(module_files())
KNOWN = set(MODULES)
GRAPH = {module: {m for m in imports_of(module, path) if m in MODULES and m != module}
         for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def test_the_scan_sees_the_whole_namespace():
    assert len(MODULES) > 100
    assert {top_of(m) for m in MODULES} == set(ALLOWED)
    assert "readiness_harness.checks.chaos.scenario" in GRAPH["readiness_harness.checks.chaos"]


def test_no_file_imports_in_a_circle():
    assert _cycles(GRAPH) == []


def test_no_package_imports_in_a_circle():
    packages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        packages.setdefault(top_of(module), set()).update(top_of(t) for t in targets if top_of(t) != top_of(module))
    assert _cycles(packages) == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_arrow_points_down(package: str):
    wrong = sorted(f"{module} -> {target}" for module, targets in GRAPH.items() if top_of(module) == package
                   for target in targets if top_of(target) not in ALLOWED[package] | {package})
    assert wrong == []


def test_the_fault_proxy_server_imports_only_itself():
    server = f"{NAMESPACE}.chaos.server"
    wrong = sorted(f"{m} -> {t}" for m, ts in GRAPH.items() if m.startswith(server)
                   for t in ts if not t.startswith(server))
    assert wrong == []


def test_infrastructure_never_imports_a_check():
    wrong = sorted(f"{m} -> {t}" for m, ts in GRAPH.items() if top_of(m) in {"chaos", "loadtests", "contract"}
                   for t in ts if top_of(t) == "checks")
    assert wrong == []


def test_a_cycle_is_seen():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
