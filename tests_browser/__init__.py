"""Browser tests of the built book: run them with ``nox -s browser``."""
