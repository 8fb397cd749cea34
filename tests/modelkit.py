"""Builds small but real Argos packages for tests and benchmarks: a CTranslate2 transformer
with seeded random weights (no torch) plus a SentencePiece model trained on sentences written
here, zipped as a valid `.argosmodel`. The model's output is nonsense; it exercises plumbing."""

from __future__ import annotations

import io
import json
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
import sentencepiece as spm
from ctranslate2.specs import transformer_spec

_DE_WORDS = (
    "der die das und ist nicht mit dem den von Russland Kreml Herrscher Putin Nordkorea "
    "Diktator Waffen für Butter Achse Moskau Pjöngjang Schulterschluss Sanktionsregime "
    "Vertrag Partnerschaftsvertrag Atomwaffenprogramm Krieg Ukraine Munition Regime Welt "
    "Land Westen Bündnis Freund Volk Besuch Presse Raketen Hunger Macht reist nach heute"
).split()
_EN_WORDS = (
    "the and is not with of Russia Kremlin ruler Putin North Korea dictator guns for butter "
    "axis Moscow Pyongyang close alliance sanctions regime treaty partnership nuclear weapons "
    "programme war Ukraine ammunition world country West friend people visit press rockets"
).split()


EOS_BIAS_BASE = 8.0  # measured: median output length ≈ source length (10 subwords)


@dataclass(frozen=True)
class ModelShape:
    layers: int = 2
    d_model: int = 64
    heads: int = 4
    ffn: int = 128
    vocab_size: int = 400
    quantization: str | None = None
    # Added to the logit of </s>: random weights otherwise never end a sentence, and every
    # output runs to the length limit, which makes speed comparisons meaningless.
    eos_bias: float = 0.0
    # Rows of a stored encoder position table: the model then encodes at most this many source
    # tokens, as real packages do (1,024). None: computed at run time, no limit.
    source_positions: int | None = None


TINY = ModelShape()
BASE = ModelShape(
    layers=6,
    d_model=512,
    heads=8,
    ffn=2048,
    vocab_size=32000,
    quantization="int8",
    eos_bias=EOS_BIAS_BASE,
)


def training_sentences(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    sentences = []
    for i in range(count):
        words = _DE_WORDS if i % 2 == 0 else _EN_WORDS
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(4, 14)))
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice(".!?,"))
    return sentences


def train_sentencepiece(vocab_size: int, seed: int = 7) -> bytes:
    model = io.BytesIO()
    # A large vocabulary needs more distinct text than the word lists: add random letter strings.
    count = 400 if vocab_size <= 1000 else 20000
    sentences = training_sentences(count, seed)
    if vocab_size > 1000:
        rng = random.Random(seed)
        alphabet = "abcdefghijklmnopqrstuvwxyzäöüß"
        sentences += [
            " ".join(
                "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))) for _ in range(12)
            )
            for _ in range(20000)
        ]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type="unigram",
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _sinusoids(rows: int, depth: int) -> np.ndarray:
    position = np.arange(rows, dtype=np.float32)[:, None]
    rate = np.exp(-np.log(10000.0) * np.arange(depth // 2, dtype=np.float32) / (depth // 2))
    return np.concatenate([np.sin(position * rate), np.cos(position * rate)], axis=1)


class _RandomTransformer(ctranslate2.converters.Converter):  # type: ignore[misc]
    def __init__(self, shape: ModelShape, vocabulary: list[str], seed: int) -> None:
        self.shape = shape
        self.vocabulary = vocabulary
        self.rng = np.random.default_rng(seed)

    def _load(self) -> Any:
        shape = self.shape
        layers = (shape.layers, shape.layers)
        spec = transformer_spec.TransformerSpec.from_config(layers, shape.heads)

        def fill(layer: Any, name: str, value: Any) -> None:
            if value is None:
                setattr(layer, name.rsplit("/", 1)[-1], self._weight(name))

        spec.encoder._visit(fill)
        spec.decoder._visit(fill)
        if shape.source_positions is not None:
            spec.encoder.position_encodings.encodings = _sinusoids(
                shape.source_positions, shape.d_model
            )
        if shape.eos_bias:
            bias = np.zeros(len(self.vocabulary), dtype=np.float32)
            bias[2] = shape.eos_bias  # </s>, id 2 in the SentencePiece model trained here
            spec.decoder.projection.bias = bias
        spec.register_source_vocabulary(self.vocabulary)
        spec.register_target_vocabulary(self.vocabulary)
        return spec

    def _weight(self, name: str) -> np.ndarray:
        d, ff, vocab = self.shape.d_model, self.shape.ffn, len(self.vocabulary)
        leaf = name.rsplit("/", 1)[-1]
        if leaf == "gamma":
            return np.ones(d, dtype=np.float32)
        if leaf == "beta":
            return np.zeros(d, dtype=np.float32)
        rows, cols = self._linear_shape(name, d, ff, vocab)
        return (self.rng.standard_normal((rows, cols)) * 0.08).astype(np.float32)

    @staticmethod
    def _linear_shape(name: str, d: int, ff: int, vocab: int) -> tuple[int, int]:
        if "embeddings" in name or "projection" in name:
            return vocab, d
        if "ffn/linear_0" in name:
            return ff, d
        if "ffn/linear_1" in name:
            return d, ff
        if "self_attention/linear_0" in name:
            return 3 * d, d
        if "/attention/linear_1" in name:  # cross-attention keys and values, fused
            return 2 * d, d
        return d, d


def build_package(
    out_dir: Path,
    from_code: str = "de",
    to_code: str = "en",
    shape: ModelShape = TINY,
    seed: int = 7,
    version: str = "1.0",
) -> Path:
    """Writes `translate-<from>_<to>-<version>.argosmodel` into out_dir and returns its path."""
    sp_bytes = train_sentencepiece(shape.vocab_size, seed)
    processor = spm.SentencePieceProcessor(model_proto=sp_bytes)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    work = out_dir / f"build-{from_code}-{to_code}-{seed}"
    model_dir = work / "model"
    _RandomTransformer(shape, vocabulary, seed).convert(
        str(model_dir), quantization=shape.quantization, force=True
    )
    name = f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    metadata = {
        "package_version": version,
        "argos_version": "1.0",
        "type": "translate",
        "from_code": from_code,
        "from_name": from_code,
        "to_code": to_code,
        "to_name": to_code,
        "links": [],
    }
    target = out_dir / f"{name}.argosmodel"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/metadata.json", json.dumps(metadata, indent=2))
        archive.writestr(f"{name}/sentencepiece.model", sp_bytes)
        archive.writestr(f"{name}/README.md", "Test package with random weights.\n")
        for file in sorted(model_dir.iterdir()):
            archive.write(file, f"{name}/model/{file.name}")
    return target
