"""What an installed CTranslate2 model says about its own input limit.

Neither an Argos package's metadata.json nor the model's config.json states how many source
tokens the model takes; the model does, in the shape of its encoder's position table. Measured
on translate-de_en-trained_small-0_1 (CTranslate2 4.8.5): model.bin is binary version 6, spec
TransformerSpec; `encoder/position_encodings/encodings` is an alias of
`decoder/position_encodings/encodings`, shape [1024, 448]. A 1,024-token source translates; a
1,025-token one raises "No position encodings are defined for positions >= 1024, but got
position 1024" once truncation is off. Translator.translate_batch's default
max_input_length=1024 otherwise cuts the source silently. A model without a stored table
(sinusoidal encodings computed at run time, like the tiny test models) has no such limit; it
gets CTranslate2's own default, beyond which text would be dropped."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import BinaryIO

from glossary.engine import DEFAULT_MAX_SOURCE_TOKENS  # translate_batch's max_input_length

ENCODER_POSITIONS = "encoder/position_encodings/encodings"
_MAX_VARIABLES = 100_000  # a sanity bound: a real model has a few hundred


class _Truncated(Exception):
    pass


def _read(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise _Truncated
    return data


def _uint(stream: BinaryIO, fmt: str) -> int:
    value: int = struct.unpack(fmt, _read(stream, struct.calcsize(fmt)))[0]
    return value


def _string(stream: BinaryIO) -> str:
    # A uint16 length, then that many bytes ending in NUL (CTranslate2's consume<std::string>).
    return _read(stream, _uint(stream, "<H")).rstrip(b"\0").decode("utf-8", "replace")


def variable_shapes(model_bin: Path) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the variables in a CTranslate2 model.bin (binary versions 4-6),
    aliases resolved; the weights themselves are skipped, not read. Empty when the file is
    missing, of another version, or cut short."""
    try:
        with open(model_bin, "rb") as stream:
            return _shapes(stream)
    except (OSError, _Truncated, struct.error):
        return {}


def _shapes(stream: BinaryIO) -> dict[str, tuple[int, ...]]:
    version = _uint(stream, "<I")
    if not 4 <= version <= 6:
        return {}
    _string(stream)  # spec name, e.g. TransformerSpec
    _uint(stream, "<I")  # spec revision
    count = _uint(stream, "<I")
    if count > _MAX_VARIABLES:
        return {}
    shapes: dict[str, tuple[int, ...]] = {}
    for _ in range(count):
        name = _string(stream)
        rank = _uint(stream, "<B")
        shapes[name] = tuple(_uint(stream, "<I") for _ in range(rank))
        _uint(stream, "<B")  # data type
        stream.seek(_uint(stream, "<I"), 1)  # the weights
    count = _uint(stream, "<I")
    for _ in range(min(count, _MAX_VARIABLES)):
        alias, target = _string(stream), _string(stream)
        if target in shapes:
            shapes[alias] = shapes[target]
    return shapes


def _config(model_dir: Path) -> dict[str, object]:
    try:
        data = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def source_token_limit(model_dir: Path) -> int:
    """How many SentencePiece tokens of one source sentence the model can encode: the rows of
    its encoder position table, less the <s> and </s> CTranslate2 adds when config.json asks
    for them; CTranslate2's default input length where the model has no table."""
    shape = variable_shapes(model_dir / "model.bin").get(ENCODER_POSITIONS)
    if not shape or shape[0] <= 0:
        return DEFAULT_MAX_SOURCE_TOKENS
    config = _config(model_dir)
    added = bool(config.get("add_source_bos")) + bool(config.get("add_source_eos"))
    return max(1, shape[0] - added)
