"""The import/export formats come from one table (imports.FILE_FORMATS): the page's export,
the CLI's export and import, the own API's import and the OpenAPI enums all read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from glossary import imports
from glossary.errors import InputError
from glossary.termload import load_glossary
from tests.helpers import run_glossary


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("a.yaml", "yaml"),
        ("a.YML", "yaml"),
        ("a.tsv", "tsv"),
        ("a.tab", "tsv"),
        ("a.csv", "csv"),
        ("a.tbx", "tbx"),
        ("a.xml", "tbx"),
    ],
)
def test_suffix_names_the_format(filename: str, fmt: str) -> None:
    assert imports.format_of(None, filename) == fmt
    assert imports.format_of(fmt, "ignored.txt") == fmt  # a named format beats the suffix


def test_unknown_suffix_and_unknown_name_are_refused() -> None:
    with pytest.raises(InputError, match="unknown format"):
        imports.format_of(None, "a.docx")
    with pytest.raises(InputError, match="format must be one of yaml, tsv, csv, tbx"):
        imports.format_of("xlsx")


@pytest.mark.parametrize("fmt", list(imports.FORMATS))
def test_every_export_reads_back_as_the_same_terms(terms_dir: Path, fmt: str) -> None:
    glossary = load_glossary(terms_dir / "p.yaml")
    body = imports.export(glossary, fmt)
    entries = imports.read(body, fmt, glossary, name=f"p.{fmt}")
    assert not entries.errors
    assert [(r.term.source, r.term.target) for r in entries.rows] == [("Herrscher", "ruler")]


@pytest.mark.parametrize("fmt", ["tsv", "csv", "tbx", "yaml"])
def test_page_export_has_the_formats_content_type(app: Flask, terms_dir: Path, fmt: str) -> None:
    response = app.test_client().get(f"/terms/p/export.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == imports.FILE_FORMATS[fmt].content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="p.{fmt}"'
    if fmt == "yaml":  # the file itself, byte for byte
        assert response.get_data() == (terms_dir / "p.yaml").read_bytes()


def test_cli_exports_yaml_as_the_file_itself(env: dict[str, str], terms_dir: Path) -> None:
    path = terms_dir / "p.yaml"
    done = run_glossary(env, "terms", "export", "--glossary", str(path), "--format", "yaml")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == path.read_bytes()


def test_openapi_enums_are_the_tables(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    body = spec["paths"]["/api/glossaries/{name}/import"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]["properties"]
    assert schema["format"]["enum"] == list(imports.FORMATS)
    assert schema["on_duplicate"]["enum"] == list(imports.POLICIES)
