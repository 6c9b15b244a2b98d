"""sitegen: a static site generator for a research reading list."""

__version__ = "0.1.0"
