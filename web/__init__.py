"""The Flask application: a thin layer over the `glossary` library."""

from web.app import create_app

__all__ = ["create_app"]
