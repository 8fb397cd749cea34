"""The glossary on the command line: `glossary find` on the article, `glossary translate
--glossary` through the tiny real model, and `glossary terms` edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glossary.termload import load_glossary
from tests.conftest import ARTICLE, REPO
from tests.helpers import run_glossary

GLOSSARY = REPO / "terms" / "de-en.yaml"

# Every occurrence of a terms/de-en.yaml term in the article, checked by reading the article:
# (start offset, text as written, glossary source term). Inflected forms (Staatsbesuchs,
# Putins, Nordkoreas, Verträge-like plurals), the en dash in Moskau–Pjöngjang and the quotes
# around „Waffen für Butter“ are all in here; "Nordkoreanische" (an adjective) is not.
ARTICLE_TERMS = [
    (20, "Russland", "Russland"),
    (33, "Kreml-Herrscher", "Kreml-Herrscher"),
    (49, "Wladimir Putin", "Wladimir Putin"),
    (88, "Weltmacht", "Weltmacht"),
    (180, "Regime", "Regime"),
    (201, "Krieg gegen die Ukraine", "Krieg gegen die Ukraine"),
    (233, "Putin", "Putin"),
    (284, "Munition", "Munition"),
    (316, "Russland", "Russland"),
    (351, "Russland", "Russland"),
    (383, "Belarus", "Belarus"),
    (403, "Iran", "Iran"),
    (441, "Nordkorea", "Nordkorea"),
    (453, "Moskau", "Moskau"),
    (470, "Schulterschluss", "Schulterschluss"),
    (499, "autoritären Regimen", "autoritäres Regime"),
    (528, "Unterdrückung", "Unterdrückung"),
    (546, "Folter", "Folter"),
    (576, "Feindbild", "Feindbild"),
    (636, "Putin", "Putin"),
    (646, "Nordkorea-Diktator", "Nordkorea-Diktator"),
    (665, "Kim Jong Un", "Kim Jong Un"),
    (687, "Bündnis", "Bündnis"),
    (701, "Achse Moskau–Pjöngjang", "Achse Moskau–Pjöngjang"),
    (749, "Ökonom", "Ökonom"),
    (756, "Konstantin Sonin", "Konstantin Sonin"),
    (774, "Universität Chicago", "Universität Chicago"),
    (820, "Staatsbesuchs", "Staatsbesuch"),
    (838, "Putin", "Putin"),
    (891, "Russland", "Russland"),
    (986, "Putin", "Putin"),
    (1064, "Regime", "Regime"),
    (1103, "Ukraine", "Ukraine"),
    (1120, "Konstantin Sonin", "Konstantin Sonin"),
    (1295, "Bevölkerung", "Bevölkerung"),
    (1354, "Kim Jong Un", "Kim Jong Un"),
    (1370, "Atomwaffenprogramm", "Atomwaffenprogramm"),
    (1428, "Waffen für Butter", "Waffen für Butter"),
    (1456, "Putin", "Putin"),
    (1518, "Putin", "Putin"),
    (1538, "The Times", "The Times"),
    (1570, "Kreml-Herrscher", "Kreml-Herrscher"),
    (1598, "Waffen für Butter", "Waffen für Butter"),
    (1651, "Raketen", "Rakete"),
    (1663, "Artilleriegeschosse", "Artilleriegeschoss"),
    (1852, "The Times", "The Times"),
    (1951, "Solidarität", "Solidarität"),
    (2025, "Bündnis", "Bündnis"),
    (2056, "Tyrannen", "Tyrann"),
    (2087, "Überlebenswillen", "Überlebenswille"),
    (2117, "Neue Zürcher Zeitung", "Neue Zürcher Zeitung"),
    (2140, "NZZ", "NZZ"),
    (2167, "Putin", "Putin"),
    (2176, "Nordkorea", "Nordkorea"),
    (2240, "NZZ", "NZZ"),
    (2258, "Russlands", "Russland"),
    (2268, "Überfall auf die Ukraine", "Überfall auf die Ukraine"),
    (2298, "Kim Jong Un", "Kim Jong Un"),
    (2318, "Geschenk des Himmels", "Geschenk des Himmels"),
    (2391, "Corona-Pandemie", "Corona-Pandemie"),
    (2422, "Sanktionsregime", "Sanktionsregime"),
    (2443, "Putins", "Putin"),
    (2478, "Nordkoreas", "Nordkorea"),
    (2503, "Pakt", "Pakt"),
    (2517, "Diktatoren", "Diktator"),
    (2529, "Putin", "Putin"),
    (2543, "Nordkorea-Diktator", "Nordkorea-Diktator"),
    (2596, "Vertrag", "Vertrag"),
    (2642, "Partnerschaftsvertrag", "Partnerschaftsvertrag"),
    (2684, "gegenseitigen Beistand", "gegenseitiger Beistand"),
    (2722, "Aggression", "Aggression"),
    (2748, "Vertragsparteien", "Vertragspartei"),
    (2780, "Putin", "Putin"),
    (2801, "Nachrichtenagenturen", "Nachrichtenagentur"),
    (2839, "Vertrag", "Vertrag"),
    (2856, "Durchbruch", "Durchbruch"),
    (2876, "Russen-Präsident", "Russen-Präsident"),
    (2894, "Machthaber", "Machthaber"),
    (2905, "Kim Jong Un", "Kim Jong Un"),
    (2929, "Putin", "Putin"),
]


glossary = run_glossary


def test_find_on_article_gives_every_occurrence_with_exact_offsets(env: dict[str, str]) -> None:
    done = glossary(env, "find", str(ARTICLE), "--glossary", str(GLOSSARY))
    assert done.returncode == 0, done.stderr.decode()
    found = json.loads(done.stdout)
    text = ARTICLE.read_text(encoding="utf-8")
    for item in found:
        assert text[item["start"] : item["end"]] == item["text"]
    assert [(f["start"], f["text"], f["source"]) for f in found] == ARTICLE_TERMS


def test_translate_article_with_tiny_model_lands_every_term(
    env: dict[str, str], tiny_archive: Path
) -> None:
    assert glossary(env, "models", "install", "--file", str(tiny_archive)).returncode == 0
    done = glossary(env, "translate", str(ARTICLE), "--glossary", str(GLOSSARY), "--json")
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    statuses = [t["status"] for t in result["terms"]]
    assert [t["source"]["text"] for t in result["terms"]] == [w for _, w, _ in ARTICLE_TERMS]
    assert set(statuses) <= {"kept", "enforced"}, [
        (t["source"]["text"], t["reason"]) for t in result["terms"] if t["status"] == "missed"
    ]
    text = result["text"]
    for term in result["terms"]:
        span = term["target"]
        # the required wording as it is, or capitalised where it opens a translated sentence
        # (where the tiny model's sentences begin is not visible in its text)
        form = term["form"]
        written = text[span["start"] : span["end"]]
        assert written in (form, form[:1].upper() + form[1:]), (term["source"]["text"], written)
    assert result["text"].count("\n\n") == ARTICLE.read_text(encoding="utf-8").count("\n\n")


def test_plain_translate_prints_summary_on_stderr(env: dict[str, str], tiny_archive: Path) -> None:
    assert glossary(env, "models", "install", "--file", str(tiny_archive)).returncode == 0
    done = glossary(
        env,
        "translate",
        "--glossary",
        str(GLOSSARY),
        "--mode",
        "off",
        stdin=b"Der Kreml-Herrscher reist.",
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "terms:" in done.stderr.decode() and "missed" in done.stderr.decode()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "de-en.yaml"
    target.write_bytes(GLOSSARY.read_bytes())
    return target


def test_terms_add_update_remove_round_trip(env: dict[str, str], copy: Path) -> None:
    add = glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(copy),
        "--source",
        "Raketenwerfer",
        "--target",
        "rocket launcher",
        "--note",
        "MLRS in context",
    )
    assert add.returncode == 0, add.stderr.decode()
    assert "Raketenwerfer" in copy.read_text(encoding="utf-8")
    assert "# " in copy.read_text(encoding="utf-8")  # the file's comments survive
    upd = glossary(
        env,
        "terms",
        "update",
        "--glossary",
        str(copy),
        "--source",
        "Raketenwerfer",
        "--target",
        "missile launcher",
    )
    assert upd.returncode == 0, upd.stderr.decode()
    listed = glossary(env, "terms", "list", "--glossary", str(copy), "--json")
    rows = {r["source"]: r for r in json.loads(listed.stdout)}
    assert rows["Raketenwerfer"]["target"] == "missile launcher"
    rem = glossary(env, "terms", "remove", "--glossary", str(copy), "--source", "Raketenwerfer")
    assert rem.returncode == 0 and "Raketenwerfer" not in copy.read_text(encoding="utf-8")


def test_terms_add_with_source_plural_finds_the_plural(env: dict[str, str], copy: Path) -> None:
    add = glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(copy),
        "--source",
        "Praxis",
        "--target",
        "practice",
        "--source-plural",
        "Praxen",
    )
    assert add.returncode == 0, add.stderr.decode()
    term = next(t for t in load_glossary(copy).terms if t.source == "Praxis")
    assert term.source_plural == "Praxen"
    text = copy.parent / "text.txt"
    text.write_text("Die Praxen sind voll.", encoding="utf-8")
    found = json.loads(glossary(env, "find", str(text), "--glossary", str(copy)).stdout)
    assert [(f["text"], f["source"]) for f in found] == [("Praxen", "Praxis")]


def test_terms_stale_revision_is_refused(env: dict[str, str], copy: Path) -> None:
    before = copy.read_bytes()
    done = glossary(
        env,
        "terms",
        "add",
        "--glossary",
        str(copy),
        "--source",
        "Panzer",
        "--target",
        "tank",
        "--revision",
        "0" * 64,
    )
    assert done.returncode == 3
    assert copy.read_bytes() == before


@pytest.mark.parametrize("fmt", ["tsv", "csv", "tbx"])
def test_terms_export_then_import_into_empty_glossary(
    env: dict[str, str], copy: Path, tmp_path: Path, fmt: str
) -> None:
    exported = glossary(env, "terms", "export", "--glossary", str(copy), "--format", fmt)
    assert exported.returncode == 0, exported.stderr.decode()
    dump = tmp_path / f"terms.{fmt}"
    dump.write_bytes(exported.stdout)
    empty = tmp_path / "empty.yaml"
    empty.write_text("source_language: de\ntarget_language: en\nname: Empty\nterms: []\n")
    done = glossary(env, "terms", "import", "--glossary", str(empty), str(dump))
    assert done.returncode == 0, done.stderr.decode()
    listed = json.loads(glossary(env, "terms", "list", "--glossary", str(empty), "--json").stdout)
    original = json.loads(glossary(env, "terms", "list", "--glossary", str(copy), "--json").stdout)
    assert [(r["source"], r["target"]) for r in listed] == [
        (r["source"], r["target"]) for r in original
    ]


def test_find_with_broken_glossary_names_file_and_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("source_language: de\ntarget_language: en\nname: X\nterms:\n  - source: A\n")
    done = glossary(env, "find", "--glossary", str(bad), stdin=b"A")
    assert done.returncode == 2
    assert "bad.yaml:5" in done.stderr.decode()


def test_terms_update_finds_the_entry_by_any_spelling_of_the_same_term(
    env: dict[str, str], copy: Path
) -> None:
    # en dash and lower case: the matcher's same term (termrules.find_source), as on the page
    done = glossary(
        env,
        "terms",
        "update",
        "--glossary",
        str(copy),
        "--source",
        "kreml–herrscher",
        "--target",
        "Kremlin boss",
    )
    assert done.returncode == 0, done.stderr.decode()
    listed = json.loads(glossary(env, "terms", "list", "--glossary", str(copy), "--json").stdout)
    rows = {r["source"]: r for r in listed}
    # the entry itself changed (--source is written as given), no second entry was added
    assert rows["kreml–herrscher"]["target"] == "Kremlin boss"
    assert "Kreml-Herrscher" not in rows
    assert len(listed) == len(load_glossary(GLOSSARY).terms)
