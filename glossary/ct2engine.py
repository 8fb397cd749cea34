"""The CTranslate2 engine: an installed Argos package run directly, without argostranslate, so
that attention and forced target prefixes are available."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ctranslate2
import sentencepiece as spm

from glossary.engine import Continuation, DecodeOptions, Hypothesis
from glossary.errors import ContractError, DeviceUnavailableError, PackageError
from glossary.modelinfo import source_token_limit
from glossary.packages import InstalledPackage
from glossary.tokens import join_pieces


def _normalised(row: Sequence[float]) -> tuple[float, ...]:
    # With beam search over a padded batch, CTranslate2 4.8 returns a first attention row whose
    # mass partly sat on padding (measured: rows summing to ~0.39); rescale so rows are weights.
    total = sum(row)
    return tuple(float(x) / total for x in row) if total > 0 else tuple(float(x) for x in row)


@dataclass(frozen=True)
class RuntimeOptions:
    device: str = "cpu"  # cpu | cuda | auto, as ARGOS_DEVICE_TYPE
    compute_type: str = "auto"  # CTranslate2 picks the best type for the device it runs on
    intra_threads: int = 0  # 0: CTranslate2's own default
    inter_threads: int = 1


def resolve_device(requested: str) -> str:
    """The device to load on: `auto` is cuda when CTranslate2 sees a CUDA device, else cpu;
    `cuda` without one is a DeviceUnavailableError rather than CTranslate2's bare RuntimeError."""
    if requested not in ("auto", "cuda"):
        return requested
    count = int(ctranslate2.get_cuda_device_count())
    if count > 0:
        return "cuda"
    if requested == "cuda":
        raise DeviceUnavailableError(requested, count)
    return "cpu"


class CTranslate2Engine:
    """Loads the package's translator and SentencePiece model once; translates batches."""

    def __init__(self, package: InstalledPackage, runtime: RuntimeOptions | None = None) -> None:
        runtime = runtime or RuntimeOptions()
        self.device = resolve_device(runtime.device)
        self.package = package
        self.from_code = package.from_code
        self.to_code = package.to_code
        if not package.sentencepiece_model.is_file():
            raise PackageError(
                f"{package.path}: no sentencepiece.model (BPE packages are not supported)"
            )
        self._sp = spm.SentencePieceProcessor(model_file=str(package.sentencepiece_model))
        try:
            self._translator = ctranslate2.Translator(
                str(package.model_dir),
                device=self.device,
                compute_type=runtime.compute_type,
                intra_threads=runtime.intra_threads,
                inter_threads=runtime.inter_threads,
            )
        except (RuntimeError, ValueError) as exc:
            raise PackageError(f"{package.model_dir}: cannot load model: {exc}") from exc
        # Multilingual packages ask for a language token at the start of every output.
        self._fixed_prefix = package.target_prefix.split() if package.target_prefix else []
        # From the model's encoder position table (1,024 for the packages measured so far).
        self.max_source_tokens = source_token_limit(package.model_dir)

    def encode_source(self, text: str) -> list[str]:
        return list(self._sp.encode(text, out_type=str))

    def encode_target(self, text: str) -> list[str]:
        return list(self._sp.encode(text, out_type=str))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return join_pieces(tokens)

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        options = options or DecodeOptions()
        prefixes = prefixes if prefixes is not None else [None] * len(sentences)
        if len(prefixes) != len(sentences):
            raise ContractError("prefixes must be as many as sentences")
        sources = [self.encode_source(s) for s in sentences]
        results: list[Hypothesis | None] = [None] * len(sentences)
        # Sorting by length keeps padding low and lets each chunk get a length limit of its own.
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        for begin in range(0, len(order), options.max_batch_size):
            chunk = [i for i in order[begin : begin + options.max_batch_size]]
            for i, hyp in zip(chunk, self._decode(sources, prefixes, chunk, options), strict=True):
                results[i] = hyp
        return [h for h in results if h is not None]

    def _decode(
        self,
        sources: list[list[str]],
        prefixes: Sequence[Sequence[str] | None],
        chunk: list[int],
        options: DecodeOptions,
    ) -> list[Hypothesis]:
        empty = [i for i in chunk if not sources[i]]
        work = [i for i in chunk if sources[i]]
        out: dict[int, Hypothesis] = {i: Hypothesis((), (), "", 0.0, ()) for i in empty}
        if work:
            longest = max(len(sources[i]) + len(prefixes[i] or ()) for i in work)
            grown = int(longest * options.length_ratio) + options.length_extra
            limit = min(options.max_length, grown)
            batch = self._translator.translate_batch(
                [sources[i] for i in work],
                target_prefix=[self._fixed_prefix + list(prefixes[i] or ()) or None for i in work],
                beam_size=options.beam_size,
                max_decoding_length=limit + len(self._fixed_prefix),
                min_decoding_length=1,
                return_scores=True,
                return_attention=options.return_attention,
                replace_unknowns=True,
                # No silent truncation (the default cuts at 1,024 tokens): the pipeline keeps
                # sentences within max_source_tokens, and one longer than the model takes
                # raises, so that the pipeline reports it instead of dropping its end.
                max_input_length=0,
            )
            for i, result in zip(work, batch, strict=True):
                out[i] = self._hypothesis(sources[i], result, prefixes[i] or ())
        return [out[i] for i in chunk]

    def _hypothesis(self, source: list[str], result: Any, prefix: Sequence[str]) -> Hypothesis:
        skip = len(self._fixed_prefix)
        # The output starts with the forced prefix, except that pieces missing from the
        # vocabulary come back as <unk> (or a source word): give back exactly what was forced.
        tokens = tuple(prefix) + tuple(result.hypotheses[0][skip + len(prefix) :])
        rows = result.attention[0][skip:] if result.attention else []
        attention = tuple(_normalised(row) for row in rows)
        return Hypothesis(
            source_tokens=tuple(source),
            tokens=tokens,
            text=join_pieces(tokens),
            score=float(result.scores[0]),
            attention=attention,
        )

    # -- what fluent enforcement asks of the model (engine.GuidedEngine) -------------------
    def nbest(
        self, sentences: Sequence[str], n: int, options: DecodeOptions | None = None
    ) -> list[list[str]]:
        options = options or DecodeOptions()
        sources = [self.encode_source(s) for s in sentences]
        if not sources:
            return []
        results = self._translator.translate_batch(
            sources,
            target_prefix=self._prefixes(len(sources)),
            beam_size=max(options.beam_size, n),
            num_hypotheses=n,
            max_batch_size=options.max_batch_size,
            replace_unknowns=True,
            max_decoding_length=options.max_length,
        )
        skip = len(self._fixed_prefix)
        return [[join_pieces(h[skip:]) for h in r.hypotheses] for r in results]

    def continuations(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str]],
        n: int,
        options: DecodeOptions | None = None,
    ) -> list[list[Continuation]]:
        options = options or DecodeOptions()
        sources = [self.encode_source(s) for s in sentences]
        if not sources:
            return []
        forced = [self._fixed_prefix + list(p) for p in prefixes]
        longest = max(len(s) + len(p) for s, p in zip(sources, forced, strict=True))
        # return_alternatives expands n different tokens right after the prefix and finishes
        # each greedily (beam 1): the cheap way to see what may follow a forced term.
        results = self._translator.translate_batch(
            sources,
            target_prefix=forced,
            beam_size=1,
            num_hypotheses=n,
            return_alternatives=True,
            return_scores=True,
            replace_unknowns=True,
            max_batch_size=options.max_batch_size,
            max_decoding_length=min(
                options.max_length, int(longest * options.length_ratio) + options.length_extra
            ),
        )
        out = []
        for prefix, result in zip(forced, results, strict=True):
            out.append(
                [
                    Continuation(tuple(h[len(prefix) :]), float(s))
                    for h, s in zip(result.hypotheses, result.scores, strict=True)
                ]
            )
        return out

    def score(self, sentences: Sequence[str], targets: Sequence[Sequence[str]]) -> list[float]:
        sources = [self.encode_source(s) for s in sentences]
        if not sources:
            return []
        skip = len(self._fixed_prefix)
        results = self._translator.score_batch(
            sources, [self._fixed_prefix + list(t) for t in targets], offset=skip
        )
        return [sum(r.log_probs) / max(len(r.log_probs), 1) for r in results]

    def _prefixes(self, count: int) -> list[list[str]] | None:
        return [list(self._fixed_prefix) for _ in range(count)] if self._fixed_prefix else None
