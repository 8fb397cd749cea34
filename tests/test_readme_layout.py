"""The README's layout section ("How it is built") names every module and package of glossary/
and web/, and nothing that is not there: a new module is documented where a reader looks."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("## How it is built\n", 1)[1].split("\n## ", 1)[0]


def _modules() -> set[str]:
    found = set()
    for package in ("glossary", "web"):
        for path in (REPO / package).iterdir():
            if path.suffix == ".py" and path.stem != "__init__":
                found.add(path.stem)
            elif path.is_dir() and (path / "__init__.py").is_file():
                found.add(path.name + "/")
    return found


def test_every_module_is_in_the_layout_section() -> None:
    named = set(re.findall(r"`([a-z0-9_]+/?)`", _section()))
    cli_star = {m for m in _modules() if m.startswith("cli_")} if "`cli_*`" in _section() else set()
    assert sorted(_modules() - named - cli_star) == []


def test_the_layout_section_names_no_module_that_is_gone() -> None:
    named = set(re.findall(r"`([a-z0-9_]+/?)`", _section()))
    not_modules = {"glossary", "create_app"}  # the command, the factory function
    folders = {p.name + "/" for p in REPO.iterdir() if p.is_dir()}  # terms/, tests/, bench/
    assert sorted(named - _modules() - not_modules - folders) == []
