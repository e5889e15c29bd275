"""Sphinx configuration of the zerograd book."""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "zerograd"

project = "zerograd"
author = "The zerograd developers"
copyright = "2026, the zerograd developers; text CC BY-SA 4.0, code BSD-3-Clause"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "sphinx_copybutton",
]

exclude_patterns = ["_build", "**/jupyter_execute", "**/.ipynb_checkpoints", "README.md"]
nitpicky = True

myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True

# Every page is executed on every build that reads it; no notebook cache.
nb_execution_mode = "force"
nb_execution_raise_on_error = False  # with -W --keep-going every failing page is listed
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = "zerograd"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
}

autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False


def _library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def _depend_on_library(app: Sphinx, docname: str, source: list[str]) -> None:
    """Make every page depend on the library's source files.

    Sphinx then re-reads, and so re-executes, every page when a file under
    ``src/zerograd`` changes, even on an incremental build.
    """
    for path in _library_files():
        app.env.note_dependency(str(path))


def setup(app: Sphinx) -> None:
    """Register the hook that ties every page to the library's source."""
    app.connect("source-read", _depend_on_library)
