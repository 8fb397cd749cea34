"""The web package has layers: web.app wires the blueprints, the blueprints never import it
(they take the service from web.services), and so every module imports on its own, first,
in a fresh interpreter, with no import hidden inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import REPO

WEB = REPO / "web"
MODULES = sorted(path.stem for path in WEB.glob("*.py") if path.stem != "__init__")
# The package re-exports the factory, and serving starts it; nothing else may reach up to it.
MAY_IMPORT_APP = {"__init__", "serve"}

# The package is stood in for by an empty one, so that web/__init__.py does not import
# web.app first: the module named is then really the first of the package to be imported.
FIRST = """
import sys, types
package = types.ModuleType("web")
package.__path__ = [{web!r}]
sys.modules["web"] = package
import web.{module}
"""


def _imports(tree: ast.AST) -> list[str]:
    """Every module an import statement in the tree names (`from web import app` names
    web.app)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return found


def _parsed(module: str) -> ast.Module:
    return ast.parse((WEB / f"{module}.py").read_text(encoding="utf-8"))


def test_the_modules_are_found() -> None:
    assert {"app", "api", "pages", "services", "terms_pages"} <= set(MODULES)


@pytest.mark.parametrize("module", sorted(set(MODULES) - MAY_IMPORT_APP))
def test_no_module_imports_the_app_factory(module: str) -> None:
    assert "web.app" not in _imports(_parsed(module)), f"web/{module}.py imports web.app"


@pytest.mark.parametrize("module", MODULES)
def test_every_import_is_at_the_top_of_its_module(module: str) -> None:
    tree = _parsed(module)
    imports = (node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom))
    nested = [node.lineno for node in imports if node not in tree.body]
    assert nested == [], f"web/{module}.py imports inside a function or block at {nested}"


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    # All at once: each interpreter takes a second or so to import Flask and the library.
    runs = {
        module: subprocess.Popen(
            [sys.executable, "-c", FIRST.format(web=str(WEB), module=module)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for module in MODULES
    }
    failed = {}
    for module, run in runs.items():
        output, _ = run.communicate(timeout=120)
        if run.returncode != 0:
            failed[module] = output.strip().splitlines()[-1:]
    assert failed == {}


def test_the_package_imports_in_a_fresh_interpreter() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import web; web.create_app"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
