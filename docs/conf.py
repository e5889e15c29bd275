"""Sphinx configuration of the zerograd book.

Every setting below is a maintained extension's own; the few hooks at the end each say
why no setting does their job.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import myst_nb.core.render
import myst_nb.sphinx_
from sphinx.application import Sphinx

import zerograd

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "zerograd"
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))  # the book's own extensions

# -- The book's identity ----------------------------------------------------------------
project = "zerograd"
author = "The zerograd developers"
# nox sets SOURCE_DATE_EPOCH to the last commit's time, so Sphinx keeps this year as it is.
copyright = "2026, the zerograd developers"  # the licences: extra_footer, below
release = installed_version("zerograd")  # the one version, from pyproject.toml's source
version = release
html_title = f"zerograd {release}"
# Read the Docs names the published address and the branch or tag it builds.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")
# The source repository, for the theme's repository, source and issues buttons. No public
# address is known yet, so none is made up: they appear when ZEROGRAD_REPOSITORY_URL is
# set, or on Read the Docs, which builds from a clone and names it.
REPOSITORY_URL = (
    os.environ.get("ZEROGRAD_REPOSITORY_URL")
    or os.environ.get("READTHEDOCS_GIT_CLONE_URL", "").removesuffix(".git")
).strip()
if not REPOSITORY_URL.startswith("https://"):
    REPOSITORY_URL = ""  # an ssh or file URL is no link for a reader
# sphinx-book-theme makes its repository, source and issues buttons for GitHub, GitLab and
# Bitbucket addresses only (it stops the build on any other); the footer links any host.
THEME_KNOWS_HOST = any(host in REPOSITORY_URL for host in ("github", "gitlab", "bitbucket"))
REPOSITORY_BRANCH = (
    os.environ.get("ZEROGRAD_REPOSITORY_BRANCH")
    or os.environ.get("READTHEDOCS_GIT_IDENTIFIER")
    or "main"
)

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinxcontrib.katex",
    "katex_build",  # _ext/katex_build.py: Node from PyPI, bad TeX fails the build
    "math_punctuation",  # _ext/math_punctuation.py: no line break between a formula and its comma
    "sphinx_copybutton",
    "sphinx_design",  # {dropdown}: collapsed blocks as HTML <details>
    "claims",  # _ext/claims.py: claims declared, checked and ledgered
    "wording",  # _ext/wording.py: the lint of quantified wording
]
# The library the claims are checked against: its source's SHA-256 goes into the ledger,
# and a check that ran against other source fails the build.
claims_library = str(LIBRARY)
# The claims build reads a page's checks from its MyST text (```{code-cell} fences); an
# .ipynb page has none, so its checks could not be judged: the book's pages are .md.
exclude_patterns = [
    "_build",
    "**/jupyter_execute",
    "**/.ipynb_checkpoints",
    "README.md",
    "**.ipynb",
]
nitpicky = True

# -- Math: rendered to HTML by KaTeX at build time; pages load its CSS and fonts only ----
katex_prerender = True
katex_css_path = "katex/katex.min.css"  # in _static, of the KaTeX version katex_build checks

# -- Pages: MyST notebooks, executed on every build that reads them ----------------------
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True
# Every page is executed on every build that reads it; no notebook cache.
nb_execution_mode = "force"
# A failing cell does not stop the build: every page still executes, myst-nb warns
# "Executing notebook failed" for each failing page, and the claims extension names each
# failed, unchecked or unknown claim with its page at the end of every build, incremental
# ones included, and makes the build exit non-zero. (raise_on_error = True would stop at
# the first failure, and without -T hide it behind a crash report.)
nb_execution_raise_on_error = False
# Print a failing cell's traceback (with the assertion message) to the console, not
# only to a report file.
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True


def _join_stream_chunks(outputs: list[Any]) -> list[Any]:
    """Join consecutive chunks of one stream as the kernel sent them, then let myst-nb merge.

    A patch of myst-nb 1.4.0 (pinned in pyproject.toml). Its coalesce_streams strips every
    chunk and ends it with a newline (since https://github.com/executablebooks/MyST-NB/pull/604),
    so a line the kernel happened to send in two chunks printed as two lines, in some
    builds only. No upstream report of this was found (November 2026); the same line
    drops a chunk's trailing blank lines, reported in
    https://github.com/executablebooks/MyST-NB/issues/690 (open), and became an rstrip in
    https://github.com/executablebooks/MyST-NB/pull/637. Drop the patch when myst-nb
    joins chunks before stripping. Copies are merged, so the executed notebook
    keeps its outputs as the kernel sent them; tests/build checks that two builds give the
    same HTML.
    """
    joined: list[Any] = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and output.get("output_type") == last.get("output_type") == "stream"
            and output.get("name") == last.get("name")
        ):
            last["text"] = "".join(last["text"]) + "".join(output["text"])
        else:
            joined.append(copy.copy(output))
    return _merge_streams(joined)


_merge_streams = myst_nb.core.render.coalesce_streams
myst_nb.core.render.coalesce_streams = _join_stream_chunks

# `sphinx-build -b doctest` (nox -s doctest) runs the pages' {doctest} blocks. The
# docstrings' bare >>> examples already run under pytest --doctest-modules (nox -s tests),
# in the namespace of their own module, which the builder here would not give them.
doctest_test_doctest_blocks = ""
doctest_global_setup = """
import numpy as np
import zerograd as zg
"""

# -- HTML: sphinx-book-theme -------------------------------------------------------------
html_theme = "sphinx_book_theme"
# _templates/search-button-field.html fixes the theme search button's accessible name;
# _templates/book-title.html shows the version in the article header.
templates_path = ["_templates"]
# A local icon: without one, browsers request /favicon.ico and log a 404 on first visit.
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
html_css_files = ["zerograd.css", "screens.css"]  # screens.css: issue 11
html_theme_options = {
    # One menu button and one search box at every width. sphinx-book-theme leaves
    # pydata-sphinx-theme's top navbar empty (its theme.conf sets every navbar_* slot to
    # nothing), but since pydata-sphinx-theme 0.17.1 (its pull request 2315) an unset
    # navbar_persistent defaults, in Python, to a search field, which brings the navbar
    # back with a second search box and a second pair of sidebar toggles. The theme
    # scripts bind the first ".primary-toggle" in the page, the navbar's, which CSS hides
    # at every width: the visible menu button did nothing (pydata-sphinx-theme issue 2451;
    # sphinx-book-theme pull request 1000, still open in November 2026, removes those
    # toggles from the navbar template instead). Emptying navbar_persistent, as the book
    # theme meant, renders no navbar at all. Keep it after a fix upstream: it is also
    # what leaves one search box. tests/browser checks the menu at 390, 768 and 1280 px.
    "navbar_persistent": [],
    # The book's title and version beside the menu button (_templates/book-title.html).
    "article_header_start": ["toggle-primary-sidebar.html", "book-title.html"],
    "show_toc_level": 2,
    # Readers can download each page's MyST source (.md) and, through
    # _offer_executed_notebook below, the executed notebook (.ipynb).
    "use_download_button": True,
    "repository_url": REPOSITORY_URL if THEME_KNOWS_HOST else "",
    "repository_branch": REPOSITORY_BRANCH,
    "path_to_docs": "docs",
    "use_repository_button": THEME_KNOWS_HOST,
    "use_source_button": THEME_KNOWS_HOST,
    "use_issues_button": THEME_KNOWS_HOST,
    "extra_footer": (
        f"zerograd {release}"
        + (f' (<a href="{REPOSITORY_URL}">source</a>)' if REPOSITORY_URL else "")
        + ". "
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

# -- The API reference -------------------------------------------------------------------
# It documents the names zerograd exports (zerograd.Network), whatever module defines
# them; autodoc notes the defining module as each object's canonical name. The numpydoc
# docstrings give every type with its shape, so signatures show no type hints.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autosummary_generate = False  # the API page's tables link to the objects' own pages
# numpydoc turns the known words of a type ("ndarray, shape (N, n_k)") into links and
# leaves the rest (shapes, value sets) as text.
numpydoc_show_class_members = False  # autodoc's :members: lists them
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "mapping": ":term:`python:mapping`",
    "numpy.random.Generator": ":class:`numpy.random.Generator`",  # a role: linked as it is
    **{name: f"zerograd.{name}" for name in zerograd.__all__},
}
# Python's and numpy's inventories: the local copies in _intersphinx (written by
# tools/inventories.py), so the build needs no network; on Read the Docs the real ones
# first, with the local copy as the fallback intersphinx uses if they cannot be fetched.
INVENTORIES = Path(__file__).parent / "_intersphinx"
intersphinx_timeout = 10  # seconds, before falling back to the local copy
intersphinx_mapping = {
    name: (url, (None, local) if os.environ.get("READTHEDOCS") else local)
    for name, url in [
        ("python", "https://docs.python.org/3"),
        ("numpy", "https://numpy.org/doc/stable"),
    ]
    for local in [str(INVENTORIES / f"{name}.inv")]
}


# -- Hooks that no setting replaces --------------------------------------------------------
def _library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


RECORDS = Path(__file__).parent / "_static"


def _depend_on_library(app: Sphinx, docname: str, source: list[str]) -> None:
    """Make every page depend on the library's Python files, and on the records it names.

    Sphinx then re-reads, and so re-executes, every page when a Python file (``*.py``)
    under ``src/zerograd`` changes (another file there, such as ``py.typed``, is not
    tracked), and a page whose source names a record
    ``_static/<name>.json`` (as how-we-know.md names ``faults.json``) when that record
    changes, even on an incremental build.
    """
    text = "".join(source)
    records = [path for path in sorted(RECORDS.glob("*.json")) if path.name in text]
    for path in [*_library_files(), *records]:
        app.env.note_dependency(str(path))


def _offer_executed_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    """Publish a page's executed notebook next to its source, for the download button.

    sphinx-book-theme lists ``context["ipynb_source"]`` in its download menu (its
    handler runs at priority 501, after this one), but fills it only when a launch
    button (Binder, Colab...) is configured, and the book has none.
    """
    notebook = Path(app.env.mystnb_config.output_folder) / f"{pagename}.ipynb"
    if not notebook.is_file():
        return  # not a notebook page (genindex, search...)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _visit_hidden_cell(translator: Any, node: Any) -> None:
    """myst-nb's toggle of a collapsed cell, named by the prompt it shows.

    A patch of myst-nb 1.4.0 (pinned in pyproject.toml). Its visit_HideCellInput gives
    the toggle's <summary> the aria-label "Toggle hidden content", which replaces the
    visible prompt (a cell's code_prompt_show, such as "Show the check that ...") as its
    accessible name; axe-core reports that as label-content-name-mismatch (serious).
    Without the attribute the name is the prompt on show (myst-nb's CSS hides the other
    one). The label came with https://github.com/executablebooks/MyST-NB/pull/446; no
    upstream report was found (November 2026). Drop the patch when myst-nb's summary
    carries no aria-label.
    """
    start = len(translator.body)
    myst_nb.sphinx_.visit_HideCellInput(translator, node)
    translator.body[start:] = [
        part.replace(' aria-label="Toggle hidden content"', "") for part in translator.body[start:]
    ]


def setup(app: Sphinx) -> None:
    """Tie every page to the library's source, offer each page's executed notebook, and
    name the toggles of collapsed cells by their prompts."""
    app.connect("source-read", _depend_on_library)
    app.connect("html-page-context", _offer_executed_notebook, priority=500)
    app.add_node(
        myst_nb.sphinx_.HideCodeCellNode,
        override=True,
        html=(_visit_hidden_cell, myst_nb.sphinx_.depart_HideCellInput),
    )
