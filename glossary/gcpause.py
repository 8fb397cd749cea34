"""Pausing the cyclic garbage collector while glossaries are built or edited: building or
renumbering 100,000 terms makes hundreds of thousands of objects, each batch of which starts
a collection that walks every object of the process (with a large glossary in memory, most
of the time of loading one from the cache, and a third of a one-term edit). The objects made
are not cycles; the collector catches up when the pause ends."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for the block. Nested and concurrent pauses share
    one: the collector runs again when the last one ends, if it ran before."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
