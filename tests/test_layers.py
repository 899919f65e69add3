"""Imports flow one way (issue 14): core, config → models → auth → payouts → documents → services → forms → views, admin, cli → app.

A module may import its own layer and the layers below it, never one above; imports sit at the top of a
module unless a cycle forces them into a function (listed here with the reason).
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    {"core", "config", "extensions"},
    {"models"},
    {"auth"},
    {"payouts"},
    {"documents"},
    {"services"},
    {"forms"},
    {"views", "admin", "cli"},
    {"app"},
    {"bench"},
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
# (module, imported module): why the import cannot sit at the top.
FUNCTION_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "build"} or relative.parts[0].startswith("."):
            continue
        yield relative, ast.parse(path.read_text("utf-8"))


def _imported(node, relative: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative import: inside the module's own package
        return [relative.parts[0]]
    return [node.module] if node.module else []


def test_every_project_package_has_a_layer():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and not p.name.startswith(".")}
    packages |= {p.stem for p in ROOT.glob("*.py")}
    assert packages - {"tests"} <= set(RANK), packages - set(RANK)


@pytest.mark.parametrize("relative, tree", list(_modules()), ids=lambda v: str(v) if isinstance(v, Path) else "")
def test_no_module_imports_upward(relative, tree):
    own = RANK[relative.parts[0] if len(relative.parts) > 1 else relative.stem]
    upward = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _imported(node, relative):
                rank = RANK.get(name.split(".")[0])
                if rank is not None and rank > own:
                    upward.append(f"{relative}:{node.lineno} imports {name}")
    assert upward == []


@pytest.mark.parametrize("relative, tree", list(_modules()), ids=lambda v: str(v) if isinstance(v, Path) else "")
def test_imports_sit_at_the_top_unless_a_cycle_forces_them(relative, tree):
    inside = []
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for name in _imported(node, relative):
                        if (str(relative), name) not in FUNCTION_IMPORTS_ALLOWED:
                            inside.append(f"{relative}:{node.lineno} imports {name} inside {function.name}()")
    assert inside == []
