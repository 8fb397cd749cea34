"""Offline translation with an enforced, inflection-aware glossary (the library; no Flask)."""

__version__ = "0.1.0"
