"""Glossary YAML files, the public names in one place: for callers outside glossary/ (the web
app, tests) that want the whole API from one import. Code in glossary/ imports from the
modules that hold each part:

- glossary/termrules.py: limits, keys and values, control characters, duplicates;
- glossary/termyaml.py: the round-trip YAML document (refusing anchors, aliases and tags);
- glossary/termcheck.py: validation with file:line:column errors;
- glossary/termload.py: reading a file (the fast path is glossary/termread.py);
- glossary/termwrite.py: the locked read-check-write, creating, deleting and renaming files
  (locks: glossary/filelock.py; atomic writes: glossary/atomicwrite.py);
- glossary/termedit.py: term edits.
"""

from __future__ import annotations

from glossary.errors import BrokenFileError, GlossaryFileError, NotFoundError
from glossary.termcheck import check_terms
from glossary.termedit import (
    add_term,
    apply_changes,
    merge_terms,
    remove_term,
    rename_glossary,
    replace_terms,
    update_term,
)
from glossary.termload import load_glossary, parse_glossary, read_bytes, revision_of
from glossary.termrules import (
    DEFAULT_MAX_BYTES,
    GENDERS,
    LANGUAGE_RE,
    MAX_TERM_BYTES,
    POS_VALUES,
    TERM_KEYS,
    TOP_KEYS,
    clashes,
    control_character,
    duplicate_key,
    first_duplicate,
    first_duplicate_among,
)
from glossary.termwrite import (
    create_glossary,
    delete_glossary,
    discard_orphan_lock,
    move_glossary,
    rewrite_at_revision,
)
from glossary.termyaml import dump_term

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GENDERS",
    "LANGUAGE_RE",
    "MAX_TERM_BYTES",
    "POS_VALUES",
    "TERM_KEYS",
    "TOP_KEYS",
    "BrokenFileError",
    "GlossaryFileError",
    "NotFoundError",
    "add_term",
    "apply_changes",
    "check_terms",
    "clashes",
    "control_character",
    "create_glossary",
    "delete_glossary",
    "discard_orphan_lock",
    "dump_term",
    "duplicate_key",
    "first_duplicate",
    "first_duplicate_among",
    "load_glossary",
    "merge_terms",
    "move_glossary",
    "parse_glossary",
    "read_bytes",
    "remove_term",
    "rename_glossary",
    "replace_terms",
    "revision_of",
    "rewrite_at_revision",
    "update_term",
]
