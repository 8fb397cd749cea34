"""Fake engines with the real Engine interface, for tests where the model is beside the point."""

from __future__ import annotations

import re
from collections.abc import Sequence

from glossary.engine import DEFAULT_MAX_SOURCE_TOKENS, DecodeOptions, Hypothesis
from glossary.tokens import SPACE

_TOKEN = re.compile(r"\w+|[^\w\s]")


def word_tokens(text: str) -> list[str]:
    """Whitespace-marked word tokens, SentencePiece style: '▁' before a word after a space."""
    tokens = []
    for match in _TOKEN.finditer(text):
        spaced = match.start() == 0 or text[match.start() - 1].isspace()
        tokens.append((SPACE if spaced else "") + match.group())
    return tokens


def join_tokens(tokens: Sequence[str]) -> str:
    return "".join(tokens).replace(SPACE, " ").strip()


def diagonal(rows: int, cols: int) -> tuple[tuple[float, ...], ...]:
    if cols == 0:
        return tuple(() for _ in range(rows))
    return tuple(
        tuple(1.0 if j == min(i, cols - 1) else 0.0 for j in range(cols)) for i in range(rows)
    )


class UppercaseEngine:
    """Fake: 'translates' by upper-casing each token; records the batches it was given."""

    max_source_tokens = DEFAULT_MAX_SOURCE_TOKENS

    def __init__(self, from_code: str = "de", to_code: str = "en") -> None:
        self.from_code, self.to_code = from_code, to_code
        self.batches: list[list[str]] = []

    def encode_source(self, text: str) -> list[str]:
        return word_tokens(text)

    def encode_target(self, text: str) -> list[str]:
        return word_tokens(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return join_tokens(tokens)

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        self.batches.append(list(sentences))
        out = []
        for i, sentence in enumerate(sentences):
            source = word_tokens(sentence)
            prefix = list(prefixes[i] or ()) if prefixes else []
            target = prefix + [t.upper() for t in source[len(prefix) :]]
            out.append(
                Hypothesis(
                    tuple(source),
                    tuple(target),
                    join_tokens(target),
                    -1.0,
                    diagonal(len(target), len(source)),
                )
            )
        return out


class _Unit:
    """A source phrase and its translation; its target tokens attend to its source tokens."""

    def __init__(self, source: list[int], target: list[str]) -> None:
        self.source, self.target = source, target


class PhraseEngine:
    """Fake with known wording: translates phrases through a lexicon (longest match, case-
    insensitive), copies unknown tokens. With a forced prefix it continues, like a real model,
    after the source phrase where the prefix departs from its own translation."""

    max_source_tokens = DEFAULT_MAX_SOURCE_TOKENS

    def __init__(
        self,
        lexicon: dict[str, str],
        from_code: str = "de",
        to_code: str = "en",
        echo: bool = False,
    ) -> None:
        self.from_code, self.to_code, self.echo = from_code, to_code, echo
        self.lexicon = {self._key(word_tokens(k)): word_tokens(v) for k, v in lexicon.items()}
        self.longest = max((len(k) for k in self.lexicon), default=1)
        self.calls: list[list[Sequence[str] | None]] = []

    @staticmethod
    def _key(tokens: Sequence[str]) -> tuple[str, ...]:
        return tuple(t.replace(SPACE, "").lower() for t in tokens)

    def encode_source(self, text: str) -> list[str]:
        return word_tokens(text)

    def encode_target(self, text: str) -> list[str]:
        return word_tokens(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return join_tokens(tokens)

    def units(self, source: list[str]) -> list[_Unit]:
        units, i = [], 0
        while i < len(source):
            for size in range(min(self.longest, len(source) - i), 0, -1):
                target = self.lexicon.get(self._key(source[i : i + size]))
                if target is not None:
                    break
            else:
                size, target = 1, [source[i]]
            units.append(_Unit(list(range(i, i + size)), list(target)))
            i += size
        return units

    def translate_batch(
        self,
        sentences: Sequence[str],
        prefixes: Sequence[Sequence[str] | None] | None = None,
        options: DecodeOptions | None = None,
    ) -> list[Hypothesis]:
        prefixes = prefixes or [None] * len(sentences)
        self.calls.append(list(prefixes))
        return [self._one(s, list(p or ())) for s, p in zip(sentences, prefixes, strict=True)]

    def _one(self, sentence: str, prefix: list[str]) -> Hypothesis:
        source = word_tokens(sentence)
        units = self.units(source)
        if units and units[0].target:  # like a real model, start the sentence with a capital
            first = units[0].target[0]
            units[0].target[0] = first[:1] + first[1:2].upper() + first[2:]
        rows: list[list[int]] = []  # source indexes each target token attends to
        tokens: list[str] = []
        for unit in units:
            tokens += unit.target
            rows += [unit.source] * len(unit.target)
        if prefix:
            tokens, rows = self._continue(units, tokens, rows, prefix)
        attention = tuple(
            tuple((1.0 / len(r) if j in r else 0.0) for j in range(len(source))) for r in rows
        )
        return Hypothesis(tuple(source), tuple(tokens), join_tokens(tokens), -1.0, attention)

    def _continue(
        self, units: list[_Unit], tokens: list[str], rows: list[list[int]], prefix: list[str]
    ) -> tuple[list[str], list[list[int]]]:
        resume, prefix_rows = self._walk(units, prefix)
        out_tokens, out_rows = list(prefix), prefix_rows
        for unit in units[resume:]:
            out_tokens += unit.target
            out_rows += [unit.source] * len(unit.target)
        return out_tokens, out_rows

    def _walk(self, units: list[_Unit], prefix: list[str]) -> tuple[int, list[list[int]]]:
        """Which unit to resume at after the prefix, and the prefix tokens' attention rows.
        Forced words stand for the unit where they depart from the lexicon's translation; a
        good model resumes where a later unit's translation picks up again, an echoing one
        right after the departed unit."""
        pos, i, rows = 0, 0, []
        while pos < len(prefix) and i < len(units):
            target = units[i].target
            if prefix[pos : pos + len(target)] == target:
                rows += [units[i].source] * len(target)
                pos, i = pos + len(target), i + 1
                continue
            following = units[i + 1].target if i + 1 < len(units) else []
            found = len(prefix)
            if not self.echo and following:
                found = next(
                    (
                        p
                        for p in range(pos + 1, len(prefix))
                        if prefix[p : p + len(following)] == following
                    ),
                    len(prefix),
                )
            rows += [units[i].source] * (found - pos)
            pos, i = found, i + 1
        last = units[-1].source if units else []
        return i, rows + [last] * (len(prefix) - len(rows))
