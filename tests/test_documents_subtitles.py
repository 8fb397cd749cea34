"""Subtitles (SRT, WebVTT) through translate_document with a fake engine whose wording is
known: cue numbers, timings, settings and the WebVTT header, NOTE and STYLE blocks come out
byte for byte; each cue is one block, its lines one text; the translation is wrapped to the
cue's line count (lines of at most 42 characters where two lines allow it); dialogue lines stay
lines of their own; tags go around the English words; terms are reported by cue."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from glossary.config import Settings
from glossary.documents.model import Limits
from glossary.documents.subtitles import MAX_LINE, SRT, VTT
from glossary.documents.translate import TranslatedDocument, translate_document
from glossary.engines import EngineRegistry
from glossary.packages import InstalledPackage
from glossary.service import TranslationService
from glossary.term import Term
from glossary.termwrite import create_glossary
from tests.fakes import PhraseEngine

LEXICON = {
    "der": "the",
    "sprach": "spoke",
    "kreml-herrscher": "Kremlin lord",
    "hallo": "hello",
    "welt": "world",
    "wie": "how",
    "geht": "are",
    "es": "you",
    "dir": "doing",
    "ja": "yes",
    "nein": "no",
    "gut": "fine",
    "danke": "thanks",
    "und": "and",
    "sehr": "very",
    "lang": "long",
    "ist": "is",
    "dieser": "this",
    "satz": "sentence",
    "wirklich": "really",
    "oben": "at the top",
    "eine": "a",
    "zeile": "line",
    "heute": "today",
}
SRT_FILE = (
    "1\r\n00:00:01,000 --> 00:00:02,500\r\nDer <i>Kreml-Herrscher</i>\r\nsprach.\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20 Y1:5 Y2:9\r\n- Hallo Welt.\r\n"
    "- Wie geht es dir?\r\n\r\n"
    "3\r\n00:00:05,000 --> 00:00:09,000\r\n"
    "Dieser Satz ist wirklich sehr sehr lang und wirklich sehr sehr lang und sehr lang.\r\n\r\n"
    "4\r\n00:01:10,000 --> 00:01:12,000\r\n{\\an8}Eine Zeile oben.\r\n"
)
VTT_FILE = """WEBVTT - Nachrichten
Kind: captions

NOTE Der Herrscher sprach
über zwei Zeilen

STYLE
::cue(.gelb) { color: yellow }

REGION
id:unten width:40%

intro
00:01.000 --> 00:02.000 align:start position:10% region:unten
<v Anna>Hallo <b>Welt</b>.</v>

00:00:03.000 --> 00:00:04.000 line:0
<c.gelb>Der Kreml-Herrscher</c>
sprach heute.

3
00:00:05.000 --> 00:00:06.000
Danke.
"""


@pytest.fixture
def engine() -> PhraseEngine:
    return PhraseEngine(LEXICON)


@pytest.fixture
def service(
    settings: Settings, installed: InstalledPackage, tmp_path: Path, engine: PhraseEngine
) -> TranslationService:
    terms = tmp_path / "terms"
    terms.mkdir()
    create_glossary(
        terms / "politik.yaml", "Politik", "de", "en", [Term("Kreml-Herrscher", "Kremlin ruler")]
    )
    registry = EngineRegistry(settings, loader=lambda package: engine)
    return TranslationService(dataclasses.replace(settings, terms_dir=terms), registry)


def translate(service: TranslationService, data: str, filename: str) -> TranslatedDocument:
    return translate_document(service, data.encode(), filename, "de", "en")


def cues(text: str) -> list[list[str]]:
    """The file's blocks (between blank lines), each as its lines."""
    return [block.split("\n") for block in re.split(r"\n\s*\n", text.strip())]


# -- SRT ---------------------------------------------------------------------------------------
def test_fake_engine_srt_cue_numbers_and_timings_are_byte_for_byte(
    service: TranslationService,
) -> None:
    out = translate(service, SRT_FILE, "film.srt")
    assert (out.filename, out.media_type, out.format, out.blocks) == (
        "film.en.srt",
        "application/x-subrip",
        "srt",
        4,
    )
    written = out.data.decode()
    assert "\n" not in written.replace("\r\n", "")  # the file's CRLF throughout
    source, target = cues(SRT_FILE.replace("\r\n", "\n")), cues(written.replace("\r\n", "\n"))
    assert len(source) == len(target) == 4
    for before, after in zip(source, target, strict=True):
        assert after[:2] == before[:2]  # number, timing (and its position settings)
    # as many lines as the cue had; the one-line cue of 82 characters got a second
    assert [len(c) for c in source] == [4, 4, 3, 3]
    assert [len(c) for c in target] == [4, 4, 4, 3]
    assert written.endswith("\r\n")


def test_fake_engine_srt_text_is_translated_with_its_tags_and_lines(
    service: TranslationService,
) -> None:
    written = translate(service, SRT_FILE, "film.srt").data.decode().replace("\r\n", "\n")
    target = cues(written)
    assert target[0][2:] == ["The <i>Kremlin", "ruler</i> spoke."]
    # (the fake capitalises a sentence's first word only: here the dash)
    assert target[1][2:] == ["- hello world.", "- how are you doing?"]
    assert target[3][2:] == ["{\\an8}A line at the top."]


def test_fake_engine_a_long_cue_is_wrapped_into_balanced_lines_of_at_most_42(
    service: TranslationService,
) -> None:
    written = translate(service, SRT_FILE, "film.srt").data.decode().replace("\r\n", "\n")
    lines = cues(written)[2][2:]
    assert " ".join(lines) == (
        "This sentence is really very very long and really very very long and very long."
    )
    assert len(lines) == 2
    assert all(len(line) <= MAX_LINE for line in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 10


def test_fake_engine_a_one_line_cue_longer_than_42_gets_a_second_line(
    service: TranslationService,
) -> None:
    data = "1\n00:00:01,000 --> 00:00:05,000\nDieser Satz ist wirklich sehr sehr lang und gut.\n"
    written = translate(service, data, "a.srt").data.decode()
    lines = cues(written)[0][2:]
    assert lines == ["This sentence is really", "very very long and fine."]


def test_fake_engine_a_short_text_in_a_two_line_cue_keeps_two_lines(
    service: TranslationService,
) -> None:
    data = "7\n00:00:01,000 --> 00:00:02,000\nDanke.\nSehr gut.\n"
    written = translate(service, data, "a.srt").data.decode()
    assert written == "7\n00:00:01,000 --> 00:00:02,000\nThanks.\nVery fine.\n"


def test_fake_engine_dialogue_lines_stay_lines_of_their_own(
    service: TranslationService,
) -> None:
    data = (
        "1\n00:00:01,000 --> 00:00:02,000\n- Ja.\n- Nein, danke.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n-Ja und nein.\n- Gut.\n"
    )
    written = translate(service, data, "a.srt").data.decode()
    assert [c[2:] for c in cues(written)] == [
        ["- yes.", "- no, thanks."],
        ["- yes and no.", "- fine."],  # (the fake's tokens are spaced: "-Ja" is "- yes")
    ]


def test_fake_engine_srt_terms_are_reported_by_cue(service: TranslationService) -> None:
    out = translate(service, SRT_FILE, "film.srt")
    [term] = out.terms
    assert (term.location, term.block, term.report.status) == ("cue 1", 0, "enforced")
    report = out.report_dict()
    assert report["format"] == "srt" and report["blocks"] == 4
    assert report["terms"][0]["location"] == "cue 1"  # type: ignore[index]


def test_unchanged_cues_give_the_same_bytes() -> None:
    for fmt, data in ((SRT, SRT_FILE), (VTT, VTT_FILE)):
        parsed = fmt.read(data.encode(), limits=Limits())
        assert parsed.write(list(parsed.blocks)) == data.encode()


# -- WebVTT ------------------------------------------------------------------------------------
def test_fake_engine_vtt_header_notes_styles_regions_and_cue_settings_are_kept(
    service: TranslationService,
) -> None:
    out = translate(service, VTT_FILE, "news.vtt")
    assert (out.filename, out.media_type, out.blocks) == ("news.en.vtt", "text/vtt", 3)
    written = out.data.decode()
    assert written == (
        "WEBVTT - Nachrichten\nKind: captions\n\n"
        "NOTE Der Herrscher sprach\nüber zwei Zeilen\n\n"
        "STYLE\n::cue(.gelb) { color: yellow }\n\n"
        "REGION\nid:unten width:40%\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10% region:unten\n"
        "<v Anna>Hello <b>world</b>.</v>\n\n"
        "00:00:03.000 --> 00:00:04.000 line:0\n<c.gelb>The Kremlin ruler</c>\nspoke today.\n\n"
        "3\n00:00:05.000 --> 00:00:06.000\nThanks.\n"
    )
    [term] = out.terms
    assert term.location == "cue 2"


def test_vtt_cues_are_blocks_with_their_tags_as_marks() -> None:
    parsed = VTT.read(VTT_FILE.encode(), limits=Limits())
    blocks = parsed.blocks
    assert [(b.text, b.location) for b in blocks] == [
        ("Hallo Welt.", "cue 1"),
        ("Der Kreml-Herrscher sprach heute.", "cue 2"),
        ("Danke.", "cue 3"),
    ]
    assert [(blocks[0].text[m.start : m.end]) for m in blocks[0].marks] == ["Hallo Welt.", "Welt"]
    assert [(blocks[1].text[m.start : m.end]) for m in blocks[1].marks] == ["Der Kreml-Herrscher"]


def test_fake_engine_cues_without_a_blank_line_between_them_keep_their_timings(
    service: TranslationService,
) -> None:
    data = (
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nDanke.\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nSehr\r\ngut.\r\n"
    )
    out = translate(service, data, "a.srt")
    assert out.blocks == 2
    assert out.data.decode() == (
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nThanks.\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nVery\r\nfine.\r\n"
    )
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nDanke.\n00:03.000 --> 00:04.000\nGut.\n"
    assert translate(service, vtt, "a.vtt").data.decode() == (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nThanks.\n00:03.000 --> 00:04.000\nFine.\n"
    )


def test_a_cue_of_thousands_of_words_is_wrapped_at_once() -> None:
    words = " ".join(f"wort{i % 10}" for i in range(5000))
    data = f"1\n00:00:01,000 --> 00:09:00,000\n{words}\nnoch mehr\n"
    parsed = SRT.read(data.encode(), limits=Limits())
    [block] = parsed.blocks
    changed = dataclasses.replace(block, text=block.text.upper())
    lines = parsed.write([changed]).decode().split("\n")[2:-1]
    assert " ".join(lines) == block.text.upper()
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= len("WORT0 ")


def test_fake_engine_font_and_italic_tags_go_around_the_english_words(
    service: TranslationService,
) -> None:
    timing = "1\n00:00:01,000 --> 00:00:02,000\n"
    data = timing + '<font color="#ffff00">Danke</font>, <i>sehr gut</i>.\n'
    written = translate(service, data, "a.srt").data.decode()
    assert written == timing + '<font color="#ffff00">Thanks</font>, <i>very fine</i>.\n'
