"""`glossary translate` as users run it: a real process, the tiny real model installed through
`glossary models install --file`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_glossary

SENTENCE = "Der Kreml-Herrscher reist nach Pjöngjang.\n"


glossary = run_glossary


@pytest.fixture
def with_model(env: dict[str, str], tiny_archive: Path) -> dict[str, str]:
    done = glossary(env, "models", "install", "--file", str(tiny_archive))
    assert done.returncode == 0, done.stderr.decode()
    return env


def test_installed_model_translates_one_line(with_model: dict[str, str]) -> None:
    done = glossary(with_model, "translate", "--from", "de", "--to", "en", stdin=SENTENCE.encode())
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1 and lines[0].strip()


def test_without_model_exit_2_names_install_command(env: dict[str, str]) -> None:
    done = glossary(env, "translate", "--from", "de", "--to", "en", stdin=SENTENCE.encode())
    assert done.returncode == 2
    assert "glossary models install de en" in done.stderr.decode()


def test_empty_input_gives_empty_output(with_model: dict[str, str]) -> None:
    done = glossary(with_model, "translate", stdin=b"")
    assert (done.returncode, done.stdout) == (0, b"")


@pytest.mark.parametrize(
    ("data", "offset"),
    [(b"\xff", 0), (b"Gr\xfc\xdfe", 2), ("Stra\u00dfe ".encode() + b"\xc3(", 8)],
)
def test_non_utf8_input_exit_2_with_byte_offset(
    with_model: dict[str, str], data: bytes, offset: int
) -> None:
    done = glossary(with_model, "translate", stdin=data)
    assert done.returncode == 2
    assert f"byte offset {offset}" in done.stderr.decode()


def test_json_gives_sentences_with_spans(with_model: dict[str, str], tmp_path: Path) -> None:
    text = "Erster Satz.  Zweiter Satz!\n\nNeuer Absatz.\n"
    source = tmp_path / "in.txt"
    source.write_text(text, encoding="utf-8")
    done = glossary(with_model, "translate", str(source), "--json")
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert len(result["sentences"]) == 3
    for sentence in result["sentences"]:
        src, tgt = sentence["source"], sentence["target"]
        assert text[src["start"] : src["end"]] == src["text"]
        assert result["text"][tgt["start"] : tgt["end"]] == tgt["text"]
    assert "\n\n" in result["text"]


def test_missing_file_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    done = glossary(env, "translate", str(tmp_path / "nope.txt"))
    assert done.returncode == 2
    assert "nope.txt" in done.stderr.decode()
