"""Sphinx configuration of the zerograd book."""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "zerograd"

project = "zerograd"
author = "The zerograd developers"
copyright = "2026, the zerograd developers. Text CC BY-SA 4.0, code BSD-3-Clause"

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

# `sphinx-build -b doctest` (nox -s doctest) runs the pages' {doctest} blocks. The
# docstrings' bare >>> examples already run under pytest --doctest-modules (nox -s tests),
# in the namespace of their own module, which the builder here would not give them.
doctest_test_doctest_blocks = ""
doctest_global_setup = """
import numpy as np
import zerograd as zg
"""

html_theme = "sphinx_book_theme"
html_title = "zerograd"
html_theme_options = {
    "show_toc_level": 2,
    # Readers can download each page's MyST source (.md) and the executed notebook.
    "use_download_button": True,
    # The repository, source and issues buttons need a public repository_url. There is
    # none yet: set "repository_url" and turn these on once the repository is public.
    "use_repository_button": False,
    "use_source_button": False,
    "use_issues_button": False,
    "extra_footer": (
        'The book is licensed <a href="https://creativecommons.org/licenses/by-sa/4.0/">'
        "CC BY-SA 4.0</a> and adapts "
        '<a href="https://datascience.stackexchange.com/a/122891">answer 122891</a> on Data '
        "Science Stack Exchange; the zerograd code is BSD-3-Clause."
    ),
}
# pydata-sphinx-theme reads the colour mode from localStorage and falls back to this
# value; left unset, the fallback is "" and a first visit logs "Got invalid theme mode".
html_context = {"default_mode": "auto"}
# Downloaded sources keep their own suffix (page.md, not page.md.txt).
html_sourcelink_suffix = ""

# The numpydoc docstrings already give every type, with its shape; signatures stay short
# and type hints only fill in what a docstring leaves out.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_member_order = "bysource"
# Show numpy's aliases by name instead of expanding them into numpy's private unions.
autodoc_type_aliases = {
    "npt.ArrayLike": "numpy.typing.ArrayLike",
}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
# napoleon's type preprocessing splits "ndarray, shape (N, n_k)" at the comma into
# nonsense cross-references; Sphinx's own field parser is used and the numpydoc
# vocabulary it cannot resolve is listed in nitpick_ignore_regex below.
napoleon_preprocess_types = False

# The build is offline, so there is no intersphinx inventory for Python or numpy.
# These targets are numpydoc's type vocabulary and numpy's own names: they are prose
# in a type field, not objects of this project, so an unresolved link to them is
# expected. Every object of zerograd must still resolve.
nitpick_ignore_regex = [
    # numpydoc's words and shapes: "array_like, shape (N, n_0)", "sequence of str".
    ("py:class", r"array_like|ndarray|callable|sequence|iterable|optional|shape"),
    ("py:class", r"N|n_\{?[0-9kKN]\}?|n_\{?k-1\}?|n_\{start-1\}|[0-9]+"),
    # value sets: {"sum", "mean", "none"}
    ("py:class", r'\{?"[a-z_]+"\}?'),
    # numpy objects, documented in numpy's own (unreachable) inventory.
    ("py:class", r"numpy\.(ndarray|dtype|float64|random\.Generator|typing\.(ArrayLike|NDArray))"),
    ("py:class", r"numpy\._typing\..*|np\.float64|npt\.NDArray"),
    ("py:func", r"numpy\.random\.default_rng"),
    # TEMPORARY: napoleon reads "Weight of each sample in the objective: ..." in the
    # docstring of zerograd.network.Batch.scale as "type: description". The fix belongs
    # in that docstring (no colon in its first sentence); then delete this entry.
    ("py:class", r"Weight|each sample in the objective"),
]


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
    # sphinx-mathjax-offline 0.0.2 only copies MathJax into _static when the build has
    # finished and keeps no state while pages are read, but does not say so; undeclared,
    # Sphinx falls back to a serial read and warns, which -W turns into an error.
    app.extensions["sphinx-mathjax-offline"].parallel_read_safe = True
    app.extensions["sphinx-mathjax-offline"].parallel_write_safe = True
