"""The terms pages through Flask's test client: list (with invalid files), browse and
filter, add/edit/delete with field errors, conflicts between two editors, import, export."""

from __future__ import annotations

import re
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from glossary.config import Settings
from glossary.termload import load_glossary
from tests.conftest import project_terms
from tests.test_pages import csrf_token

REVISION = re.compile(r'name="revision" value="([0-9a-f]+)"')


@pytest.fixture
def app_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The project's glossary and no model."""
    return replace(settings, terms_dir=project_terms(tmp_path))


@pytest.fixture
def terms_file(tmp_path: Path) -> Path:
    return tmp_path / "terms" / "de-en.yaml"


def form_of(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    found = REVISION.search(page)
    assert found, page
    return {"csrf_token": csrf_token(client, path), "revision": found.group(1)}


def test_list_shows_glossaries_and_invalid_files(client: FlaskClient, terms_file: Path) -> None:
    (terms_file.parent / "broken.yaml").write_text("terms: [\n", encoding="utf-8")
    page = client.get("/terms/").get_data(as_text=True)
    assert 'href="/terms/de-en"' in page and "Politics and news" in page
    assert "broken" in page and "This file is invalid" in page and "broken.yaml:" in page


@pytest.mark.parametrize(
    "query, present, absent",
    [
        ("q=Kreml", "Kremlin ruler", "Pyongyang"),
        ("q=pyongyang", "Pjöngjang", "Kremlin ruler"),
        ("status=proposed&q=zzz-none", "0 of", "Kremlin ruler"),
    ],
)
def test_browse_filters(client: FlaskClient, query: str, present: str, absent: str) -> None:
    page = client.get(f"/terms/de-en?{query}").get_data(as_text=True)
    assert present in page and absent not in page


def test_add_term_lands_in_file(client: FlaskClient, terms_file: Path) -> None:
    data = form_of(client, "/terms/de-en/new") | {
        "source": "Gipfeltreffen",
        "target": "summit",
        "note": "<b>bold</b>",
        "status": "approved",
        "match": "inflected",
    }
    response = client.post("/terms/de-en/new", data=data)
    assert response.status_code == 303
    assert "Saved Gipfeltreffen." in client.get(response.location).get_data(as_text=True)
    term = next(t for t in load_glossary(terms_file).terms if t.source == "Gipfeltreffen")
    assert term.target == "summit" and term.note == "<b>bold</b>"
    page = client.get("/terms/de-en?q=Gipfel").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert "# --- People" in terms_file.read_text(encoding="utf-8")  # comments kept


def test_source_plural_from_the_form_lands_in_file(client: FlaskClient, terms_file: Path) -> None:
    data = form_of(client, "/terms/de-en/new") | {
        "source": "Praxis",
        "target": "practice",
        "source_plural": "Praxen",
        "status": "approved",
        "match": "inflected",
    }
    assert client.post("/terms/de-en/new", data=data).status_code == 303
    term = next(t for t in load_glossary(terms_file).terms if t.source == "Praxis")
    assert term.source_plural == "Praxen"
    assert "source_plural: Praxen" in terms_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"source": "Gipfeltreffen", "target": ""}, "target", "must not be empty"),
        ({"source": "", "target": "summit"}, "source", "must not be empty"),
        ({"source": "Kreml-Herrscher", "target": "x"}, "source", "duplicate"),
        (
            {"source": "Gipfel", "target": "summit", "forbidden": "summit"},
            "forbidden",
            "approved target",
        ),
        ({"source": "Gipfel", "target": "summit", "status": "bogus"}, "status", "must be one of"),
    ],
)
def test_field_errors_next_to_field(
    client: FlaskClient, terms_file: Path, fields: dict[str, str], field: str, message: str
) -> None:
    before = terms_file.read_bytes()
    data = form_of(client, "/terms/de-en/new") | fields
    response = client.post("/terms/de-en/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert f'value="{fields["source"]}"' in page  # the input is kept
    assert terms_file.read_bytes() == before


def test_edit_and_two_editors_conflict(client: FlaskClient, terms_file: Path) -> None:
    path = "/terms/de-en/edit?source=Kreml-Herrscher"
    first, second = form_of(client, path), form_of(client, path)
    base = {
        "original": "Kreml-Herrscher",
        "source": "Kreml-Herrscher",
        "status": "approved",
        "match": "inflected",
    }
    ok = client.post("/terms/de-en/edit", data=first | base | {"target": "Kremlin leader"})
    assert ok.status_code == 303
    late = client.post("/terms/de-en/edit", data=second | base | {"target": "Kremlin boss"})
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Someone else changed this glossary" in page
    assert 'value="Kremlin boss"' in page and "Kremlin leader" in page  # mine and theirs
    term = next(t for t in load_glossary(terms_file).terms if t.source == "Kreml-Herrscher")
    assert term.target == "Kremlin leader"
    again = REVISION.search(page)
    assert again  # saving again, having seen the conflict, applies the edit
    retry = second | base | {"target": "Kremlin boss", "revision": again.group(1)}
    assert client.post("/terms/de-en/edit", data=retry).status_code == 303


def test_delete_and_stale_delete(client: FlaskClient, terms_file: Path) -> None:
    stale = form_of(client, "/terms/de-en")
    fresh = form_of(client, "/terms/de-en")
    assert client.post("/terms/de-en/delete", data=fresh | {"source": "Tyrann"}).status_code == 303
    late = client.post("/terms/de-en/delete", data=stale | {"source": "Folter"})
    assert late.status_code == 409 and "nothing was deleted" in late.get_data(as_text=True)
    sources = {t.source for t in load_glossary(terms_file).terms}
    assert "Tyrann" not in sources and "Folter" in sources


@pytest.mark.parametrize(
    "filename, body",
    [
        ("new.tsv", "Gipfeltreffen\tsummit\nKreml-Herrscher\tKremlin lord\n"),
        ("new.csv", "Gipfeltreffen,summit,de,en\n"),
        (
            "new.yaml",
            "source_language: de\ntarget_language: en\nname: x\nterms:\n"
            "  - source: Gipfeltreffen\n    target: summit\n",
        ),
    ],
)
def test_import(client: FlaskClient, terms_file: Path, filename: str, body: str) -> None:
    # Since issue 10 an upload only shows a preview; the confirmation imports.
    before = terms_file.read_bytes()
    data = form_of(client, "/terms/de-en") | {"file": (BytesIO(body.encode()), filename)}
    response = client.post("/terms/de-en/import", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and terms_file.read_bytes() == before
    token = re.search(r'name="token" value="([^"]+)"', page)
    revision = REVISION.search(page)
    assert token and revision, page
    confirm = {
        "csrf_token": data["csrf_token"],
        "token": token.group(1),
        "do": "import",
        "revision": revision.group(1),
        "on_duplicate": "skip",
        "previewed": "skip",
    }
    response = client.post("/terms/de-en/import/confirm", data=confirm)
    assert response.status_code == 303
    terms = {t.source: t.target for t in load_glossary(terms_file).terms}
    assert terms["Gipfeltreffen"] == "summit" and terms["Kreml-Herrscher"] == "Kremlin ruler"


def test_import_bad_file_is_reported(client: FlaskClient, terms_file: Path) -> None:
    before = terms_file.read_bytes()
    data = form_of(client, "/terms/de-en") | {"file": (BytesIO(b"no tab here\n"), "x.tsv")}
    response = client.post("/terms/de-en/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "line 1" in response.get_data(as_text=True)
    assert terms_file.read_bytes() == before


@pytest.mark.parametrize(
    "fmt, needle",
    [
        ("yaml", "# Politics and news"),
        ("tsv", "Kreml-Herrscher\tKremlin ruler"),
        ("csv", "Kreml-Herrscher,Kremlin ruler"),
        ("tbx", "<termEntry"),
    ],
)
def test_export(client: FlaskClient, fmt: str, needle: str) -> None:
    response = client.get(f"/terms/de-en/export.{fmt}")
    assert response.status_code == 200
    assert f'filename="de-en.{fmt}"' in response.headers["Content-Disposition"]
    assert needle in response.get_data(as_text=True)


def test_unknown_glossary_is_a_page_not_a_trace(client: FlaskClient) -> None:
    response = client.get("/terms/nope")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)


def test_delete_needs_csrf(client: FlaskClient, terms_file: Path) -> None:
    before = terms_file.read_bytes()
    response = client.post("/terms/de-en/delete", data={"source": "Folter", "revision": "x"})
    assert response.status_code == 400 and terms_file.read_bytes() == before


def test_german_terms_page(client: FlaskClient) -> None:
    page = client.get("/terms/de-en?lang=de").get_data(as_text=True)
    assert "Begriff hinzufügen" in page and "Deutsch → Englisch" in page
