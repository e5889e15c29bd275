"""Sphinx configuration of the zerograd book."""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import myst_nb.core.render
from docutils.nodes import Element
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "zerograd"
API_PAGE = "api"
# The book's own extensions: claims (declared, checked, ledgered) and the wording lint.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "zerograd"
author = "The zerograd developers"
COPYRIGHT = "2026, the zerograd developers. Text CC BY-SA 4.0, code BSD-3-Clause"
copyright = COPYRIGHT

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "sphinx_copybutton",
    "claims",
    "wording",
]
# The library the claims are checked against: its source's SHA-256 goes into the ledger,
# and a check that ran against other source fails the build.
claims_library = str(LIBRARY)

exclude_patterns = ["_build", "**/jupyter_execute", "**/.ipynb_checkpoints", "README.md"]
nitpicky = True

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

    The kernel splits printed text into chunks at moments that depend on timing, and
    myst-nb's merge strips and re-terminates every chunk, so a split inside a line
    printed an extra blank line in some builds only. Joined first, the text is the same
    in every build (tests_build/ checks that two builds give the same HTML). Copies are
    merged, so the executed notebook keeps its outputs as the kernel sent them.
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

html_theme = "sphinx_book_theme"
# _templates/search-button-field.html fixes the theme search button's accessible name.
templates_path = ["_templates"]
html_title = "zerograd"
# A local icon: without one, browsers request /favicon.ico and log a 404 on first visit.
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
html_css_files = ["zerograd.css"]
# The public repository, for the theme's repository, source and issues buttons. No
# public address is known yet, so none is made up: the buttons appear only when
# ZEROGRAD_REPOSITORY_URL is set, or on Read the Docs, which builds from a clone and
# names it in READTHEDOCS_GIT_CLONE_URL.
REPOSITORY_URL = (
    os.environ.get("ZEROGRAD_REPOSITORY_URL")
    or os.environ.get("READTHEDOCS_GIT_CLONE_URL", "").removesuffix(".git")
).strip()
if not REPOSITORY_URL.startswith("https://"):
    REPOSITORY_URL = ""  # an ssh or file URL is no link for a reader
html_theme_options = {
    "show_toc_level": 2,
    # Readers can download each page's MyST source (.md) and, through
    # _offer_executed_notebook below, the executed notebook (.ipynb).
    "use_download_button": True,
    "repository_url": REPOSITORY_URL,
    "repository_branch": os.environ.get("ZEROGRAD_REPOSITORY_BRANCH", "main"),
    "path_to_docs": "docs",
    "use_repository_button": bool(REPOSITORY_URL),
    "use_source_button": bool(REPOSITORY_URL),
    "use_issues_button": bool(REPOSITORY_URL),
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
    # numpydoc's words and shapes: "array_like, shape (N, n_0)", "sequence of str",
    # "mapping, int to ndarray".
    ("py:class", r"array_like|ndarray|callable|sequence|iterable|mapping|optional|shape"),
    ("py:class", r"[a-z_]+ to [a-z_]+"),
    # shape symbols: N, n_0, C_{k-1}, T_{k-1} - w_k + 1, and counts: "two str"
    ("py:class", r"[A-Za-z](_\w+|_\{[^}]*\})?( [-+] [A-Za-z0-9_{}-]+)*|[0-9]+"),
    ("py:class", r"(one|two|three|four) [a-z_]+"),
    # value sets: {"sum", "mean", "none"}
    ("py:class", r'\{?"[a-z_]+"\}?'),
    # numpy objects, documented in numpy's own (unreachable) inventory.
    ("py:class", r"numpy\.(ndarray|dtype|float64|random\.Generator|typing\.(ArrayLike|NDArray))"),
    ("py:class", r"numpy\._typing\..*|np\.float64|npt\.NDArray"),
    ("py:func", r"numpy\.random\.default_rng"),
    # the standard library's inventory is unreachable offline too.
    ("py:class", r"(collections\.abc|pathlib)\.\w+"),
]


def _library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def _document_every_module(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append to the API page any public submodule it does not document yet.

    The page lists the modules in reading order, each under its own heading; a
    module added to the library later still gets its reference, under "Other
    modules", until someone gives it a place.
    """
    if docname != API_PAGE:
        return
    listed = set(re.findall(r"automodule:: (zerograd\.\w+)", source[0]))
    missing = [
        f"zerograd.{path.stem}"
        for path in sorted(LIBRARY.glob("*.py"))
        if not path.stem.startswith("_") and f"zerograd.{path.stem}" not in listed
    ]
    if missing:
        sections = "".join(
            f"\n### `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n   :members:\n```\n"
            for name in missing
        )
        source[0] += "\n## Other modules\n" + sections


def _reread_all_when_library_files_appear(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read every page when a file is added under ``src/zerograd``.

    A changed or deleted file already makes every page outdated through the
    dependencies noted by :func:`_depend_on_library`; a new file is in no page's
    dependencies yet.
    """
    files = [str(path) for path in _library_files()]
    known = getattr(env, "zerograd_library_files", None)
    env.zerograd_library_files = files  # type: ignore[attr-defined]
    return sorted(env.found_docs) if known is not None and known != files else []


def _depend_on_library(app: Sphinx, docname: str, source: list[str]) -> None:
    """Make every page depend on the library's source files.

    Sphinx then re-reads, and so re-executes, every page when a file under
    ``src/zerograd`` changes, even on an incremental build.
    """
    for path in _library_files():
        app.env.note_dependency(str(path))


def _resolve_library_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: Element
) -> Element | None:
    """Resolve ``zerograd.Network`` or ``Network.random`` to where it is documented.

    The API page documents every object once, in the submodule that defines it
    (``zerograd.network.Network``). Docstrings also name objects the way users
    import them (``zerograd.Network``), or without their module. Such a reference
    resolves when exactly one documented object is ``zerograd.<module>.<name>``.
    """
    if node.get("refdomain") != "py":
        return None
    name = node["reftarget"].removeprefix("zerograd.")
    domain = env.domains["py"]
    in_a_module = re.compile(r"zerograd\.[a-z_]+\." + re.escape(name))
    matches = [full for full in domain.objects if in_a_module.fullmatch(full)]
    if len(matches) != 1:
        return None
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], matches[0], node, contnode
    )


def _napoleon_without_inline_attribute_types(app: Sphinx) -> None:
    """Keep napoleon off the docstrings of attributes, data and properties.

    For those napoleon does one thing: it reads a first line "A: B" as type A
    and description B. This project takes such types from annotations, and its
    one-line docstrings often contain a colon ("How ... is read: ..."), which
    napoleon would turn into a bogus type.
    """
    listeners = app.events.listeners["autodoc-process-docstring"]
    (napoleon,) = [
        listener
        for listener in listeners
        if getattr(listener.handler, "__module__", "") == "sphinx.ext.napoleon"
    ]
    app.disconnect(napoleon.id)

    def process(
        app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
    ) -> None:
        if what not in {"attribute", "data", "property"}:
            napoleon.handler(app, what, name, obj, options, lines)

    app.connect("autodoc-process-docstring", process, priority=napoleon.priority)


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


def _keep_copyright_year(app: Sphinx, config: Config) -> None:
    """Show the year the book was written, whatever SOURCE_DATE_EPOCH says.

    For reproducible builds nox sets SOURCE_DATE_EPOCH to a fixed date, and Sphinx
    then rewrites a copyright line that starts with the current year to that
    date's year, which would misstate the copyright notice.
    """
    config.copyright = COPYRIGHT


def setup(app: Sphinx) -> None:
    """Tie every page to the library's source, and document every module."""
    app.connect("source-read", _depend_on_library)
    app.connect("html-page-context", _offer_executed_notebook, priority=500)
    app.connect("source-read", _document_every_module)
    app.connect("env-get-outdated", _reread_all_when_library_files_appear)
    # after Sphinx's own correct_copyright_year, which runs at priority 800
    app.connect("config-inited", _keep_copyright_year, priority=900)
    app.connect("missing-reference", _resolve_library_name)
    _napoleon_without_inline_attribute_types(app)
    # sphinx-mathjax-offline 0.0.2 only copies MathJax into _static when the build has
    # finished and keeps no state while pages are read, but does not say so; undeclared,
    # Sphinx falls back to a serial read and warns, which -W turns into an error.
    app.extensions["sphinx-mathjax-offline"].parallel_read_safe = True
    app.extensions["sphinx-mathjax-offline"].parallel_write_safe = True
