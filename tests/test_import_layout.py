"""The layout's import rules (docs/ARCHITECTURE.md), checked on the source so a new import that breaks them fails.

Module-level imports make the graph; an import inside a function is the deliberate way a task and its
service reach each other (HackSoft's pattern) and is left out of the cycle check.
"""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "core", "digest", "ops", "subscriptions")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _modules()


def _top_level_imports(path: Path) -> set[str]:
    """Modules named by the imports at module level (not inside a function or class body)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from digest import tasks` imports the module digest.tasks.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _first_party_graph() -> dict[str, set[str]]:
    return {
        module: {name for name in _top_level_imports(path) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _packages_of(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_level_import_cycle():
    assert _cycles(_first_party_graph()) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module):
    importlib.import_module(module)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("core", {"digest", "subscriptions", "ops"}),
        ("digest", {"ops"}),
        ("subscriptions", {"ops"}),
        ("digest.ranking", {"django", "subscriptions", "ops", "core", "config"}),
    ],
)
def test_imports_run_one_way(layer, forbidden):
    offenders = {
        module: sorted(_packages_of(_top_level_imports(path)) & forbidden)
        for module, path in MODULES.items()
        if module == layer or module.startswith(layer + ".")
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_the_ranking_core_reaches_only_itself_and_the_shipped_data():
    for module, path in MODULES.items():
        if module.startswith("digest.ranking"):
            # `from digest import ranking` names the package too; its __init__ is empty.
            digest_imports = {n for n in _top_level_imports(path) if n.startswith("digest.")}
            assert {
                n for n in digest_imports if not n.startswith(("digest.ranking", "digest.data"))
            } == set(), module
    assert (ROOT / "digest" / "__init__.py").read_text() == ""


def test_the_ranking_core_loads_without_django():
    # A fresh interpreter: this test process has Django loaded already.
    modules = [m for m in MODULES if m.startswith("digest.ranking")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, timeout=120)
