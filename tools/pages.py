"""Execute the book's pages the way its build does, without Sphinx, and read their claim records.

The fault catalogue (``tools/faults.py``) asks one question of the book: with a bug
planted in the library, does a claim's check fail? A full HTML build answers it, but
most of a build's time goes to what a planted bug cannot change (reading and
rendering every page, math, search index, HTML). This module runs only the pages'
code, with the build's own parts:

* the page is turned into a notebook by myst-nb's reader (``create_nb_reader``, as
  the build's parser does for a MyST page with a ``jupytext`` header);
* the notebook is executed by jupyter-cache's ``single_nb_execution``, the function
  myst-nb's ``nb_execution_mode = "force"`` calls, in the page's folder, with the
  timeout of ``docs/conf.py`` and errors stopping the page;
* ``ZEROGRAD_BOOK_BUILD`` is set, as the claims extension sets it for the build's
  kernels, so every ``with claim(...)`` block leaves its record (one per block and
  cell, see ``zerograd.book``), and the records are read from the cell outputs with
  myst-nb's own glue extraction.

So a check fails here exactly when it fails in the build, and a failed check fails
the build: ``tests/build/test_claims.py`` proves that last step on a real build.

``--trace`` also records, for each page, which functions of the zerograd package its
kernel called (``file.py:qualified.name``): an IPython start-up file (the documented
way to run code in every kernel before its first cell, through ``IPYTHONDIR``) sets
a profile hook and writes the set after every cell. ``tools/faults.py`` runs the
unmodified book this way once, then runs, for each planted bug, only the pages that
call the function the bug is in.

Command line (``tools/faults.py`` runs it in a copy of the project)::

    python tools/pages.py --docs docs --out runs.json [--trace] [PAGE ...]

With no PAGE, every notebook page runs. The JSON maps each page to its records, its
error (the last line of the traceback, or null), its seconds and, with ``--trace``,
its functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BUILD_VARIABLE = "ZEROGRAD_BOOK_BUILD"
"""Set for the kernels, as ``docs/_ext/claims.py`` sets it: checks then leave records."""
CHECK_KEY_PREFIX = "zerograd-claim-check-"
"""The glue key of a check record starts with this (``zerograd.book.CHECK_KEY_PREFIX``)."""
TIMEOUT_S = 300
"""Seconds a cell may run: ``nb_execution_timeout`` of docs/conf.py."""
TRACE_VARIABLE = "ZEROGRAD_PAGE_TRACE"
"""Where the start-up file writes the page's functions; set per page."""

TRACE_STARTUP = '''\
"""Record which zerograd functions this kernel calls (tools/pages.py --trace)."""
import json as _json
import os as _os
import sys as _sys
import threading as _threading


def _zerograd_trace():
    path = _os.environ["ZEROGRAD_PAGE_TRACE"]
    called = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    def write(*_):
        package = _sys.modules.get("zerograd")
        root = None
        if package is not None and package.__file__ is not None:
            root = _os.path.dirname(package.__file__) + _os.sep
        names = sorted(
            {
                code.co_filename[len(root):].replace(_os.sep, "/") + ":" + code.co_qualname
                for code in list(called)
                if root is not None and code.co_filename.startswith(root)
            }
        )
        with open(path + ".part", "w", encoding="utf-8") as stream:
            _json.dump({"package": root, "functions": names}, stream)
        _os.replace(path + ".part", path)

    # Every thread, those already running included where Python can (3.12+): a cell may
    # run outside the thread that runs this file. tools/pages.py checks the result.
    _sys.setprofile(profile)
    _threading.setprofile(profile)
    getattr(_threading, "setprofile_all_threads", lambda _: None)(profile)
    get_ipython().events.register("post_run_cell", write)


_zerograd_trace()
del _zerograd_trace
'''


def notebook_pages(docs: Path) -> list[str]:
    """The document names of the MyST notebook pages under ``docs``, as the build sees them."""
    from myst_nb.core.read import is_myst_markdown_notebook  # noqa: PLC0415

    pages = []
    for path in sorted(docs.rglob("*.md")):
        relative = path.relative_to(docs)
        if relative.parts[0].startswith("_"):
            continue
        if is_myst_markdown_notebook(path.read_text(encoding="utf-8")):
            pages.append(relative.with_suffix("").as_posix())
    return pages


def _records(notebook: Any) -> list[dict[str, Any]]:
    """The check records the page's cells left, read with myst-nb's glue extraction."""
    from myst_nb.ext.glue import extract_glue_data_cell  # noqa: PLC0415

    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for key, output in extract_glue_data_cell(cell):
            if key.startswith(CHECK_KEY_PREFIX):
                found.append(json.loads(output["data"]["text/plain"]))
    return found


def _last_line(traceback: str | None) -> str:
    lines = [line for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no traceback"


def execute_page(docs: Path, page: str, trace: Path | None = None) -> dict[str, Any]:
    """Execute one page as the build does; return its records, error, seconds and functions."""
    from jupyter_cache.executors.utils import single_nb_execution  # noqa: PLC0415
    from myst_nb.core.config import NbParserConfig  # noqa: PLC0415
    from myst_nb.core.read import create_nb_reader  # noqa: PLC0415
    from myst_parser.config.main import MdParserConfig  # noqa: PLC0415

    path = docs / f"{page}.md"
    text = path.read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), MdParserConfig(), NbParserConfig(), text)
    if reader is None:
        msg = f"{path} is not a MyST notebook page (no jupytext header)"
        raise ValueError(msg)
    notebook = reader.read(text)
    if trace is not None:
        trace.unlink(missing_ok=True)
        os.environ[TRACE_VARIABLE] = str(trace)
    start = time.monotonic()
    result = single_nb_execution(
        notebook,
        cwd=str(path.parent),
        timeout=TIMEOUT_S,
        allow_errors=False,
        meta_override=True,
    )
    seconds = time.monotonic() - start
    records = _records(result.nb)
    functions = None
    if trace is not None:
        functions = _traced(trace, page, records)
    return {
        "records": records,
        "error": None if result.err is None else _last_line(result.exc_string),
        "seconds": round(seconds, 2),
        "functions": functions,
    }


def _traced(trace: Path, page: str, records: list[dict[str, Any]]) -> list[str]:
    """The zerograd functions the page's kernel called, as its start-up file wrote them.

    A trace that misses calls would make ``tools/faults.py`` skip a page that can catch
    a fault, so a doubtful trace is an error, never an empty list: the start-up file
    must have written after a cell, and a page whose checks ran (through
    ``zerograd.book.claim``) must show calls into ``book.py``.
    """
    if not trace.is_file():
        msg = f"{page}: the kernel wrote no trace; did it run the IPython start-up file?"
        raise RuntimeError(msg)
    functions: list[str] = json.loads(trace.read_text(encoding="utf-8"))["functions"]
    if records and not any(name.startswith("book.py:") for name in functions):
        msg = f"{page}: its checks ran, yet the trace shows no call into zerograd/book.py"
        raise RuntimeError(msg)
    return functions


def execute_pages(docs: Path, pages: Iterable[str], trace: bool = False) -> dict[str, Any]:
    """Execute ``pages`` one after the other; with ``trace``, record their zerograd functions."""
    os.environ[BUILD_VARIABLE] = "1"
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="zerograd-pages-") as scratch:
        traces = None
        if trace:
            ipython = Path(scratch) / "ipython"
            startup = ipython / "profile_default" / "startup"
            startup.mkdir(parents=True)
            (startup / "00-zerograd-trace.py").write_text(TRACE_STARTUP, encoding="utf-8")
            os.environ["IPYTHONDIR"] = str(ipython)
            traces = Path(scratch) / "traces"
            traces.mkdir()
        for page in pages:
            where = None if traces is None else traces / (page.replace("/", "__") + ".json")
            runs[page] = execute_page(docs, page, where)
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    """Execute pages from the command line and write what they recorded as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the book's folder")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON goes")
    parser.add_argument("--trace", action="store_true", help="record each page's functions")
    parser.add_argument("pages", nargs="*", help="document names (default: every page)")
    args = parser.parse_args(argv)
    pages = args.pages or notebook_pages(args.docs)
    runs = execute_pages(args.docs.resolve(), pages, trace=args.trace)
    args.out.write_text(json.dumps({"pages": runs}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
