"""The CTranslate2 engine on the tiny real model: shapes, prefixes, batching, pivots."""

from __future__ import annotations

import pytest

from glossary.config import Settings
from glossary.engine import DecodeOptions
from glossary.engines import EngineRegistry
from glossary.errors import ModelNotInstalledError
from glossary.packages import InstalledPackage, install_from_file
from glossary.pivot import PivotEngine

SENTENCES = [
    "Der Kreml-Herrscher reist nach Pjöngjang.",
    "Waffen für Butter.",
    "Putin und der Nordkorea-Diktator unterzeichneten einen Vertrag.",
]
GREEDY = DecodeOptions(beam_size=1)


@pytest.fixture
def registry(settings: Settings, installed: InstalledPackage) -> EngineRegistry:
    return EngineRegistry(settings)


def test_one_hypothesis_per_sentence_with_consistent_attention(registry: EngineRegistry) -> None:
    hyps = registry.get("de", "en").translate_batch(SENTENCES)
    assert len(hyps) == len(SENTENCES)
    for hyp in hyps:
        assert hyp.tokens and hyp.text
        assert len(hyp.attention) == len(hyp.tokens)
        for row in hyp.attention:
            assert len(row) == len(hyp.source_tokens)
            assert sum(row) == pytest.approx(1.0, abs=1e-3)


def test_forced_prefix_starts_the_output(registry: EngineRegistry) -> None:
    engine = registry.get("de", "en")
    prefix = engine.encode_target("guns for butter")
    hyps = engine.translate_batch(SENTENCES[:2], [prefix, None], GREEDY)
    assert list(hyps[0].tokens[: len(prefix)]) == prefix
    assert hyps[0].text.startswith("guns for butter")
    assert len(hyps[0].attention) == len(hyps[0].tokens)


def test_greedy_is_deterministic_and_order_is_kept_across_batches(
    registry: EngineRegistry,
) -> None:
    engine = registry.get("de", "en")
    small_batches = DecodeOptions(beam_size=1, max_batch_size=1)
    forward = engine.translate_batch(SENTENCES, None, small_batches)
    backward = engine.translate_batch(SENTENCES[::-1], None, small_batches)
    assert [h.text for h in forward] == [h.text for h in backward][::-1]
    assert [h.source_tokens for h in forward] == [
        tuple(engine.encode_target(s))
        for s in SENTENCES  # one shared SentencePiece model
    ]


def test_empty_sentence_gives_empty_hypothesis(registry: EngineRegistry) -> None:
    hyps = registry.get("de", "en").translate_batch(["", "Waffen."], None, GREEDY)
    assert hyps[0].text == "" and hyps[0].tokens == ()
    assert hyps[1].text


def test_missing_pair_names_the_install_command(registry: EngineRegistry) -> None:
    with pytest.raises(ModelNotInstalledError, match="glossary models install de fr"):
        registry.get("de", "fr")


def test_pair_without_direct_package_goes_through_english(
    settings: Settings, installed: InstalledPackage, model_archives: dict[tuple[str, str], object]
) -> None:
    install_from_file(settings.packages_dir, model_archives[("en", "fr")])  # type: ignore[arg-type]
    registry = EngineRegistry(settings)
    assert ("de", "fr") in registry.pairs()
    engine = registry.get("de", "fr")
    assert isinstance(engine, PivotEngine)
    hyp = engine.translate_batch(["Der Kreml-Herrscher reist."], None, GREEDY)[0]
    assert hyp.text
    assert len(hyp.attention) == len(hyp.tokens)
    for row in hyp.attention:
        assert len(row) == len(hyp.source_tokens)
        assert sum(row) == pytest.approx(1.0, abs=1e-3)


def test_attention_can_be_left_out_when_no_glossary_needs_it(registry: EngineRegistry) -> None:
    options = DecodeOptions(beam_size=1, return_attention=False)
    hyp = registry.get("de", "en").translate_batch(SENTENCES[:1], None, options)[0]
    assert hyp.text and hyp.attention == ()
