"""`glossary translate FILE -o OUT` for documents, as users run it: a real process, the tiny
real model installed through `glossary models install --file`, a glossary file enforced.
The tiny model's English is noise; what the tests read is the structure (markup, cue timings),
the enforced glossary term and the report, and that bad input leaves nothing written."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.helpers import run_glossary
from tests.test_real_model import real_archive  # noqa: F401  (the fixture: skipped without it)

HTML = (
    "<!doctype html>\n<html><head><title>Bericht</title>"
    '<script>var x = "<b>Herrscher</b>";</script></head>\n'
    "<body><p>Der <b>Herrscher</b> reist nach Berlin.</p>\n"
    "<p>Ein zweiter Absatz.</p></body></html>\n"
)
SRT = (
    "1\n00:00:01,000 --> 00:00:03,500\nDer Herrscher reist.\n\n"
    "2\n00:00:04,000 --> 00:00:06,000\nEr kommt morgen an.\n"
)


@pytest.fixture
def with_model(env: dict[str, str], tiny_archive: Path) -> dict[str, str]:
    done = run_glossary(env, "models", "install", "--file", str(tiny_archive))
    assert done.returncode == 0, done.stderr.decode()
    return env


@pytest.fixture
def terms(tmp_path: Path) -> Path:
    path = tmp_path / "politics.yaml"
    create_glossary(path, "Politics", "de", "en", [Term("Herrscher", "ruler")])
    return path


class Tags(HTMLParser):
    """The start and end tags of a page, in order, and the text inside <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script += data


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_html_document_written_to_output_with_markup_and_report(
    with_model: dict[str, str], terms: Path, tmp_path: Path
) -> None:
    source, out, report = tmp_path / "in.html", tmp_path / "out.html", tmp_path / "r.json"
    source.write_text(HTML, encoding="utf-8")
    done = run_glossary(
        with_model,
        "translate",
        str(source),
        "-o",
        str(out),
        "--glossary",
        str(terms),
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""  # the translation went to the file
    written = out.read_text(encoding="utf-8")
    before, after = tags_of(HTML), tags_of(written)
    assert after.tags == before.tags  # same elements, same order, bold kept
    assert after.script == before.script  # the script is not translated
    assert "Der Herrscher reist" not in written
    assert "ruler" in written
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["format"] == "html" and data["blocks"] == 3
    ruler = [t for t in data["terms"] if t["term"]["target"] == "ruler"]
    assert ruler and ruler[0]["location"].startswith("paragraph 2 ")
    assert ruler[0]["status"] in ("kept", "enforced")
    summary = data["summary"]
    stderr = done.stderr.decode()
    assert f"terms: {summary['kept']} kept, {summary['enforced']} enforced" in stderr


def test_subtitles_keep_cue_numbers_and_timings(
    with_model: dict[str, str], terms: Path, tmp_path: Path
) -> None:
    source, out = tmp_path / "film.srt", tmp_path / "film.en.srt"
    source.write_text(SRT, encoding="utf-8")
    done = run_glossary(
        with_model, "translate", str(source), "-o", str(out), "--glossary", str(terms)
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["1", "00:00:01,000 --> 00:00:03,500"]
    assert "2" in lines and "00:00:04,000 --> 00:00:06,000" in lines
    assert "Der Herrscher reist." not in lines


def test_document_without_output_goes_to_stdout_and_stdin_takes_the_output_name(
    with_model: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "in.html"
    source.write_text(HTML, encoding="utf-8")
    shown = run_glossary(with_model, "translate", str(source), "--no-glossary")
    assert shown.returncode == 0, shown.stderr.decode()
    assert tags_of(shown.stdout.decode()).tags == tags_of(HTML).tags
    out = tmp_path / "piped.html"
    piped = run_glossary(
        with_model, "translate", "-o", str(out), "--no-glossary", stdin=HTML.encode()
    )
    assert piped.returncode == 0, piped.stderr.decode()
    assert tags_of(out.read_text(encoding="utf-8")).tags == tags_of(HTML).tags
    assert "terms:" not in piped.stderr.decode()  # no glossary, no term counts


def test_txt_without_output_is_translated_as_text_as_before(
    with_model: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("Erster Satz.\n", encoding="utf-8")
    done = run_glossary(with_model, "translate", str(source), "--json")
    assert done.returncode == 0, done.stderr.decode()
    assert len(json.loads(done.stdout)["sentences"]) == 1  # the text path's JSON


def test_text_format_with_output_writes_the_text(
    with_model: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out.txt"
    done = run_glossary(
        with_model,
        "translate",
        "--format",
        "text",
        "-o",
        str(out),
        "--no-glossary",
        stdin=b"Erster Satz.\n",
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    assert out.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.xyz", b"Hallo.", "not supported"),
        ("page.html", b"<p>Gr\xfc\xdfe</p>", "page.html: the document is not valid UTF-8: byte 5"),
        ("film.srt", b"1\n00:00:01,000 --> nonsense\nText\n", "film.srt: line 2"),
    ],
)
def test_bad_input_exit_2_and_nothing_written(
    with_model: dict[str, str], tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    out, report = tmp_path / f"out{source.suffix}", tmp_path / "r.json"
    done = run_glossary(
        with_model, "translate", str(source), "-o", str(out), "--report", str(report)
    )
    assert done.returncode == 2, done.stderr.decode()
    assert message in done.stderr.decode()
    assert not out.exists() and not report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "home"])


def test_bad_input_leaves_an_existing_output_untouched(
    with_model: dict[str, str], tmp_path: Path
) -> None:
    source, out = tmp_path / "page.html", tmp_path / "out.html"
    source.write_bytes(b"<p>\xff</p>")
    out.write_bytes(b"old bytes")
    done = run_glossary(with_model, "translate", str(source), "-o", str(out))
    assert done.returncode == 2
    assert out.read_bytes() == b"old bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out.html", "page.html"]


def test_too_large_document_exit_2(with_model: dict[str, str], tmp_path: Path) -> None:
    from glossary.documents.model import Limits

    source, out = tmp_path / "big.txt", tmp_path / "out.txt"
    with source.open("wb") as handle:
        handle.truncate(Limits().max_bytes + 1)
    done = run_glossary(with_model, "translate", str(source), "-o", str(out))
    assert done.returncode == 2
    assert "limit" in done.stderr.decode()
    assert not out.exists()


def test_output_of_another_format_is_refused_before_translating(
    env: dict[str, str], tmp_path: Path
) -> None:
    # No model installed: the refusal comes before the model is looked for.
    source, out = tmp_path / "in.html", tmp_path / "out.srt"
    source.write_text(HTML, encoding="utf-8")
    done = run_glossary(env, "translate", str(source), "-o", str(out))
    assert done.returncode == 2
    assert "extension of in.html" in done.stderr.decode()
    assert not out.exists()


def test_output_in_a_missing_folder_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "in.html"
    source.write_text(HTML, encoding="utf-8")
    done = run_glossary(env, "translate", str(source), "-o", str(tmp_path / "no" / "o.html"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr.decode()


def test_report_with_text_format_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    done = run_glossary(env, "translate", "--format", "text", "--report", str(tmp_path / "r.json"))
    assert done.returncode == 2
    assert "--report" in done.stderr.decode()


def test_docx_translated_to_docx_with_the_term_bold(
    with_model: dict[str, str], terms: Path, tmp_path: Path
) -> None:
    docx = pytest.importorskip("docx")
    source, out = tmp_path / "bericht.docx", tmp_path / "report.docx"
    document = docx.Document()
    first = document.add_paragraph()
    first.add_run("Der ")
    first.add_run("Herrscher").bold = True
    first.add_run(" reist nach Berlin.")
    document.add_paragraph("Ein zweiter Absatz.")
    document.save(str(source))
    done = run_glossary(
        with_model, "translate", str(source), "-o", str(out), "--glossary", str(terms)
    )
    assert done.returncode == 0, done.stderr.decode()
    english = docx.Document(str(out))
    assert len(english.paragraphs) == 2
    assert english.paragraphs[0].text != "Der Herrscher reist nach Berlin."
    bold = [r.text for r in english.paragraphs[0].runs if r.bold]
    assert bold == ["ruler"]
    assert "terms: " in done.stderr.decode()


def test_corrupt_docx_exit_2_and_nothing_written(
    with_model: dict[str, str], tmp_path: Path
) -> None:
    source, out = tmp_path / "broken.docx", tmp_path / "out.docx"
    source.write_bytes(b"PK\x03\x04 this is no zip archive")
    done = run_glossary(with_model, "translate", str(source), "-o", str(out))
    assert done.returncode == 2
    assert "broken.docx" in done.stderr.decode()
    assert not out.exists()


def test_real_model_docx_comes_out_english_with_the_glossary_term_bold(
    env: dict[str, str],
    real_archive: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    docx = pytest.importorskip("docx")
    done = run_glossary(env, "models", "install", "--file", str(real_archive))
    assert done.returncode == 0, done.stderr.decode()
    terms = tmp_path / "forced.yaml"
    create_glossary(terms, "Forced", "de", "en", [Term("Hut", "titfer")])
    source, out = tmp_path / "bild.docx", tmp_path / "bild.en.docx"
    document = docx.Document()
    first = document.add_paragraph()
    first.add_run("Ein Mann mit einem orangefarbenen ")
    first.add_run("Hut").bold = True
    first.add_run(" starrt auf etwas.")
    document.add_paragraph("Zwei Hunde spielen im Schnee.")
    document.save(str(source))
    done = run_glossary(env, "translate", str(source), "-o", str(out), "--glossary", str(terms))
    assert done.returncode == 0, done.stderr.decode()
    english = list(docx.Document(str(out)).paragraphs)
    assert len(english) == 2
    words = [set(re.findall(r"\w+", p.text.lower())) for p in english]
    assert {"man", "titfer"} <= words[0] and "hat" not in words[0]
    assert {"two", "dogs", "snow"} <= words[1]
    assert [r.text.strip() for r in english[0].runs if r.bold] == ["titfer"]
    assert "1 enforced" in done.stderr.decode()


def test_format_document_and_report_from_stdin_read_it_as_plain_text(
    with_model: dict[str, str], terms: Path, tmp_path: Path
) -> None:
    report = tmp_path / "r.json"
    done = run_glossary(
        with_model,
        "translate",
        "--format",
        "document",
        "--glossary",
        str(terms),
        "--report",
        str(report),
        stdin=b"Der Herrscher reist.\r\n\r\nZweiter Absatz.\r\n",
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.count(b"\r\n\r\n") == 1  # the text document keeps its line ends
    assert b"ruler" in done.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["format"] == "txt" and data["filename"] == "stdin.en.txt"
    assert [t["location"] for t in data["terms"]] == ["paragraph 1"]
