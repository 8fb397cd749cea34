"""Documents: a reader and writer per format (glossary/documents/model.py is their common
interface), and the translation of a whole document with its term report."""
