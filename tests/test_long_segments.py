"""Long input never fails a request: sentences are cut by the model's token limit (read from the
package), and a piece the model still fails on is copied through untranslated and reported per
sentence, in every API, the page and the CLI.

The model here is a tiny real one with a stored encoder position table of 64 rows, so that it
fails exactly like a real package (1,024 rows) does past its table; a strong </s> bias ends
every output after one token, which keeps 100,000 characters cheap. Fakes stand in where the
failure itself is the point (their names say so)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import deepl
import pytest
from flask import Flask
from libretranslatepy import LibreTranslateAPI

from glossary import cli
from glossary.config import Settings
from glossary.ct2engine import CTranslate2Engine
from glossary.engine import DEFAULT_MAX_SOURCE_TOKENS, DecodeOptions, Hypothesis
from glossary.engines import EngineRegistry
from glossary.match import TermMatcher
from glossary.modelinfo import source_token_limit
from glossary.packages import InstalledPackage, install_from_file
from glossary.pipeline import Pipeline, TranslationResult, token_limit
from glossary.term import Term
from tests.fakes import PhraseEngine, UppercaseEngine
from tests.helpers import live_server, run_glossary
from tests.modelkit import TINY, build_package
from web.app import create_app

WINDOW = 64  # rows of the test model's encoder position table
URL = (
    "https://www.example.org/archiv/2024/06/19/putin-besucht-pjoengjang?"
    + "&".join(f"feld{i}=wert{i}" for i in range(200))
)[:920]
NEWLINES = "x\n" * 50000
INITIALS = "A. " * 300
INPUTS = {"url": URL, "newlines": NEWLINES, "initials": INITIALS}
MARKER = "KAPUTT"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the model and the fakes -------------------------------------------------------------------


@pytest.fixture(scope="module")
def window_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shape = dataclasses.replace(TINY, source_positions=WINDOW, eos_bias=8.0)
    # Version 2.0: its folder differs from the session's tiny de→en package (1.0).
    return build_package(
        tmp_path_factory.mktemp("window"), "de", "en", shape=shape, seed=23, version="2.0"
    )


@pytest.fixture
def window_package(settings: Settings, window_archive: Path) -> InstalledPackage:
    return install_from_file(settings.packages_dir, window_archive)


@pytest.fixture
def window_engine(window_package: InstalledPackage) -> CTranslate2Engine:
    return CTranslate2Engine(window_package)


class _PositionLimitedEngine(UppercaseEngine):
    """Fake that fails, as CTranslate2 does, on a sentence longer than its position table."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.max_source_tokens = limit

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        for sentence in sentences:
            count = len(self.encode_source(sentence))
            if count > self.max_source_tokens:
                raise RuntimeError(
                    f"No position encodings are defined for positions >= "
                    f"{self.max_source_tokens}, but got position {count - 1}"
                )
        return super().translate_batch(sentences, prefixes, options)


class FailsOnMarkerEngine(PhraseEngine):
    """Fake whose failure is the point: every batch holding a sentence with MARKER raises."""

    def __init__(self) -> None:
        super().__init__(
            {"der": "the", "herrscher": "ruler", "hund": "dog", "ist": "is", "hier": "here"}
        )
        self.batch_sizes: list[int] = []

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        self.batch_sizes.append(len(sentences))
        if any(MARKER in sentence for sentence in sentences):
            raise RuntimeError("simulated model failure")
        return super().translate_batch(sentences, prefixes, options)


FAILING_TEXT = f"Der Hund ist hier. Der Herrscher ist {MARKER}. Der Hund ist hier."
REASON = "the model could not translate this sentence: simulated model failure"


def _bare(text: str) -> str:
    return "".join(text.split())


def _exact(text: str, result: TranslationResult) -> None:
    for sentence in result.sentences:
        assert text[sentence.source_start : sentence.source_end] == sentence.source
        assert result.text[sentence.target_start : sentence.target_end] == sentence.target


# --- the limit, read from the package ----------------------------------------------------------


def test_limit_is_read_from_the_position_table(
    window_engine: CTranslate2Engine, installed: InstalledPackage
) -> None:
    assert window_engine.max_source_tokens == WINDOW
    # Without a stored table (encodings computed at run time) CTranslate2's default applies.
    assert CTranslate2Engine(installed).max_source_tokens == DEFAULT_MAX_SOURCE_TOKENS == 1024
    # The cause of the failures: one token past the table is an error in CTranslate2 itself.
    with pytest.raises(RuntimeError, match="No position encodings"):
        window_engine.translate_batch(["Hund " * (WINDOW + 1)], None, DecodeOptions(beam_size=1))


def test_limit_leaves_room_for_added_bos_and_eos(
    window_package: InstalledPackage, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(window_package.model_dir, model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(
        json.dumps(config | {"add_source_bos": True, "add_source_eos": True})
    )
    assert source_token_limit(model) == WINDOW - 2
    (model / "model.bin").write_bytes((model / "model.bin").read_bytes()[:200])  # cut short
    assert source_token_limit(model) == DEFAULT_MAX_SOURCE_TOKENS


def test_piece_limit_also_keeps_the_translation_within_max_length() -> None:
    engine = UppercaseEngine()
    assert token_limit(engine, DecodeOptions()) == 251  # (512 - 10) / 2 target tokens
    assert token_limit(_PositionLimitedEngine(40), DecodeOptions()) == 40


# --- cutting by tokens ---------------------------------------------------------------------------


def test_long_sentence_is_cut_by_tokens_at_spaces_with_exact_offsets() -> None:
    engine = _PositionLimitedEngine(20)
    words = [f"Wort{i}," if i % 7 == 6 else f"Wort{i}" for i in range(120)]
    text = "Vorher kurz.  " + " ".join(words) + ".\nNachher kurz."
    with pytest.raises(RuntimeError, match="No position encodings"):
        engine.translate_batch([text])  # the whole thing is too long for the fake
    pipeline = Pipeline(engine)
    pieces = pipeline.segments(text)
    assert len(pieces) > 8
    for piece in pieces:
        assert text[piece.start : piece.end] == piece.text
        assert 0 < len(engine.encode_source(piece.text)) <= 20
        assert piece.end == len(text) or text[piece.end].isspace()  # cut at a space
    assert _bare("".join(p.text for p in pieces)) == _bare(text)  # nothing lost or doubled
    result = pipeline.translate(text)
    assert result.text == text.upper()
    assert {s.status for s in result.sentences} == {"translated"}
    _exact(text, result)


def test_text_without_spaces_is_cut_after_punctuation() -> None:
    engine = _PositionLimitedEngine(30)
    pieces = Pipeline(engine).segments(URL)
    assert len(pieces) > 1
    assert all(len(engine.encode_source(p.text)) <= 30 for p in pieces)
    assert all(not URL[p.end - 1].isalnum() for p in pieces[:-1])  # after punctuation
    assert "".join(p.text for p in pieces) == URL
    assert Pipeline(engine).translate(URL).text == URL.upper()


@pytest.mark.parametrize("name", INPUTS)
def test_reported_inputs_stay_within_the_real_window(
    window_engine: CTranslate2Engine, name: str
) -> None:
    text = INPUTS[name]
    result = Pipeline(window_engine).translate(text)
    assert {s.status for s in result.sentences} == {"translated"}
    assert all(len(window_engine.encode_source(s.source)) <= WINDOW for s in result.sentences)
    assert _bare("".join(s.source for s in result.sentences)) == _bare(text)
    _exact(text, result)


# --- a piece that still fails ---------------------------------------------------------------------


def test_real_failure_is_copied_through_and_the_rest_translated(
    window_engine: CTranslate2Engine,
) -> None:
    long_sentence = " ".join(["Hund"] * 40) + "."
    text = f"Der Hund ist hier. {long_sentence} Der Hund ist hier."
    assert WINDOW < len(window_engine.encode_source(long_sentence)) < 251
    window_engine.max_source_tokens = 10_000  # as if the package had claimed more than it has
    result = Pipeline(window_engine).translate(text)
    statuses = [s.status for s in result.sentences]
    assert statuses == ["translated", "untranslated", "translated"]
    failed = result.sentences[1]
    assert failed.source == failed.target == long_sentence
    assert failed.reason is not None and "No position encodings" in failed.reason
    assert result.to_dict()["sentences"][1]["status"] == "untranslated"  # type: ignore[index]
    _exact(text, result)


def test_failing_sentence_is_retried_alone_and_passed_through() -> None:
    engine = FailsOnMarkerEngine()
    matcher = TermMatcher([Term("Herrscher", "ruler"), Term("Hund", "dog")])
    result = Pipeline(engine, matcher=matcher).translate(FAILING_TEXT)
    assert [s.status for s in result.sentences] == ["translated", "untranslated", "translated"]
    assert result.sentences[1].target == f"Der Herrscher ist {MARKER}."
    assert result.sentences[1].reason == REASON
    assert result.sentences[0].target == "The dog is here."
    assert engine.batch_sizes[:4] == [3, 1, 1, 1]  # the batch, then one by one
    herrscher = [t for t in result.terms if t.term.source == "Herrscher"]
    assert [(t.status, t.reason, t.target_start) for t in herrscher] == [
        ("missed", "the sentence was not translated", None)
    ]
    _exact(FAILING_TEXT, result)


# --- every channel -------------------------------------------------------------------------------


@pytest.fixture
def window_app(settings: Settings, window_package: InstalledPackage, terms_dir: Path) -> Flask:
    return create_app(dataclasses.replace(settings, terms_dir=terms_dir))


@pytest.mark.parametrize("name", INPUTS)
def test_reported_inputs_succeed_in_every_api(window_app: Flask, name: str) -> None:
    text = INPUTS[name]
    client = window_app.test_client()
    own = client.post("/api/translate", json={"text": text, "source": "de", "target": "en"})
    assert own.status_code == 200, own.json
    assert own.json and {s["status"] for s in own.json["sentences"]} == {"translated"}
    libre = client.post("/translate", json={"q": text, "source": "de", "target": "en"})
    assert libre.status_code == 200, libre.json
    assert libre.json and libre.json["translatedText"]
    assert {s["status"] for s in libre.json["sentences"]} == {"translated"}
    reply = client.post(
        "/v2/translate",
        json={"text": [text], "target_lang": "EN-GB", "source_lang": "DE"},
        headers={"Authorization": "DeepL-Auth-Key any"},
    )
    assert reply.status_code == 200, reply.json
    assert reply.json
    [translation] = reply.json["translations"]
    assert translation["billed_characters"] == len(text)
    assert {s["status"] for s in translation["sentences"]} == {"translated"}


def test_reported_inputs_succeed_in_the_cli(
    env: dict[str, str], window_archive: Path, tmp_path: Path
) -> None:
    done = run_glossary(env, "models", "install", "--file", str(window_archive))
    assert done.returncode == 0, done.stderr.decode()
    for name, text in INPUTS.items():
        source = tmp_path / f"{name}.txt"
        source.write_text(text, encoding="utf-8")
        done = run_glossary(env, "translate", str(source))
        assert done.returncode == 0, (name, done.stderr.decode())
        assert b"Traceback" not in done.stderr and done.stdout.strip(), name
        assert b"untranslated" not in done.stderr, name
    done = run_glossary(env, "translate", str(tmp_path / "url.txt"), "--json")
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    sentences = json.loads(done.stdout)["sentences"]
    assert len(sentences) > 1 and {s["status"] for s in sentences} == {"translated"}


@pytest.fixture
def failing_app(settings: Settings, installed: InstalledPackage, terms_dir: Path) -> Flask:
    registry = EngineRegistry(settings, loader=lambda package: FailsOnMarkerEngine())
    return create_app(
        dataclasses.replace(settings, terms_dir=terms_dir),
        registry,
        test_config={"TESTING": True, "SECRET_KEY": "test"},
    )


def _check_failed(sentences: list[dict[str, object]], spans: bool = True) -> None:
    assert [s["status"] for s in sentences] == ["translated", "untranslated", "translated"]
    failed = sentences[1]
    assert failed["reason"] == REASON
    source = failed["source"]
    assert isinstance(source, dict)
    assert source["text"] == f"Der Herrscher ist {MARKER}."
    expected = (19, 19 + len(source["text"])) if spans else (None, None)
    assert (source["start"], source["end"]) == expected
    assert all(s["reason"] is None for s in (sentences[0], sentences[2]))


def test_failing_sentence_is_reported_in_every_api(failing_app: Flask) -> None:
    client = failing_app.test_client()
    own = client.post("/api/translate", json={"text": FAILING_TEXT, "source": "de", "target": "en"})
    assert own.status_code == 200 and own.json
    _check_failed(own.json["sentences"])
    assert f"Der Herrscher ist {MARKER}." in own.json["text"]
    libre = client.post(
        "/translate", json={"q": [FAILING_TEXT, "Der Hund."], "source": "de", "target": "en"}
    )
    assert libre.status_code == 200 and libre.json
    _check_failed(libre.json["sentences"][0])
    assert [s["status"] for s in libre.json["sentences"][1]] == ["translated"]
    html = client.post(
        "/translate",
        json={"q": f"<p>{FAILING_TEXT}</p>", "source": "de", "target": "en", "format": "html"},
    )
    assert html.status_code == 200 and html.json
    _check_failed(html.json["sentences"], spans=False)
    deepl_reply = client.post(
        "/v2/translate",
        data={"text": FAILING_TEXT, "target_lang": "EN-US"},
        headers={"Authorization": "DeepL-Auth-Key any"},
    )
    assert deepl_reply.status_code == 200 and deepl_reply.json
    _check_failed(deepl_reply.json["translations"][0]["sentences"])


def test_failing_sentence_is_marked_in_the_page(failing_app: Flask) -> None:
    client = failing_app.test_client()
    found = TOKEN.search(client.get("/").get_data(as_text=True))
    assert found
    reply = client.post(
        "/",
        data={
            "csrf_token": found.group(1),
            "text": FAILING_TEXT,
            "pair": "de:en",
            "mode": "constrain",
        },
    )
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert (
        '<span class="untranslated" data-status="untranslated" title="Not translated: the '
        'model could not translate this sentence: simulated model failure" tabindex="0">'
        f"Der Herrscher ist {MARKER}.</span>"
    ) in page
    assert page.count('class="untranslated"') == 1
    assert 'id="untranslated-notice"' in page and "Sentences left untranslated: 1." in page
    german = client.post(
        "/?lang=de",
        data={"csrf_token": found.group(1), "text": FAILING_TEXT, "pair": "de:en", "mode": "off"},
    )
    assert "Nicht übersetzt: the model could not" in german.get_data(as_text=True)


@pytest.fixture
def failing_server(failing_app: Flask) -> Iterator[str]:
    with live_server(failing_app) as url:
        yield url


def test_real_clients_accept_a_reply_with_an_untranslated_sentence(failing_server: str) -> None:
    text = LibreTranslateAPI(failing_server).translate(FAILING_TEXT, "de", "en", timeout=30)
    assert f"Der Herrscher ist {MARKER}." in text
    translator = deepl.Translator("any-key", server_url=failing_server)
    result = translator.translate_text(FAILING_TEXT, source_lang="DE", target_lang="EN-GB")
    assert isinstance(result, deepl.TextResult) and f"Herrscher ist {MARKER}." in result.text


def test_cli_warns_about_untranslated_sentences(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "glossary.service.EngineRegistry",
        lambda settings: EngineRegistry(settings, loader=lambda package: FailsOnMarkerEngine()),
    )
    source = tmp_path / "in.txt"
    source.write_text(FAILING_TEXT + "\n", encoding="utf-8")
    assert cli.main(["translate", str(source)]) == 0
    out, err = capsys.readouterr()
    assert out == f"The dog is here. Der Herrscher ist {MARKER}. The dog is here.\n"
    end = 19 + len(f"Der Herrscher ist {MARKER}.")
    assert err == (
        f"glossary: warning: characters 19-{end} left untranslated: the model could "
        "not translate this sentence: simulated model failure\n"
    )
    assert cli.main(["translate", str(source), "--json"]) == 0
    sentences = json.loads(capsys.readouterr().out)["sentences"]
    assert [s["status"] for s in sentences] == ["translated", "untranslated", "translated"]


class _BrokenTokenizerEngine(UppercaseEngine):
    """Fake whose failure is the point: it cannot even tokenize (outside any batch)."""

    def encode_source(self, text: str) -> list[str]:
        raise RuntimeError("tokenizer exploded\nsecond line")


def test_cli_unexpected_error_is_one_line_exit_2(
    settings: Settings,
    installed: InstalledPackage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "glossary.service.EngineRegistry",
        lambda settings: EngineRegistry(settings, loader=lambda package: _BrokenTokenizerEngine()),
    )
    source = tmp_path / "in.txt"
    source.write_text("Ein Satz.\n", encoding="utf-8")
    assert cli.main(["translate", str(source)]) == 2
    _out, err = capsys.readouterr()
    assert err == "glossary: error: RuntimeError: tokenizer exploded second line\n"


class _BrokenTargetEngine(PhraseEngine):
    """Fake whose target encoder fails: enforcement breaks, translation does not."""

    def encode_target(self, text: str) -> list[str]:
        raise RuntimeError("target vocabulary unavailable")


def test_fake_engine_enforcement_failure_keeps_the_translation_and_says_why() -> None:
    engine = _BrokenTargetEngine({"der": "the", "vertrag": "contract", "gilt": "holds"})
    pipeline = Pipeline(engine, matcher=TermMatcher([Term("Vertrag", "treaty")]))
    result = pipeline.translate("Der Vertrag gilt.")
    assert result.text == "The contract holds."
    [report] = result.terms
    assert report.status == "missed"
    assert report.reason is not None and "enforcement failed" in report.reason
    assert "target vocabulary unavailable" in report.reason
