"""Tests of the built book and of builds themselves (run by nox, not by plain ``pytest``).

``nox -s guarantees`` runs every file here but test_notebooks.py: they build temporary
copies of the project, build one-page books with the real docs/conf.py, or read sources. ``nox -s notebooks`` runs
test_notebooks.py against the built site (``ZEROGRAD_HTML``) with a reader's Python
(``ZEROGRAD_READER_PYTHON``), both of which that session prepares.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

OnePageBook = Callable[..., tuple[subprocess.CompletedProcess[str], Path]]


def _required_path(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        msg = f"{variable} is not set: run these tests through `nox -s notebooks`"
        raise pytest.UsageError(msg)
    return Path(value)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built HTML site, with each page's executed notebook under ``_sources/``."""
    site = _required_path("ZEROGRAD_HTML")
    if not (site / "index.html").is_file():
        msg = f"no built book at {site}"
        raise pytest.UsageError(msg)
    return site


@pytest.fixture(scope="session")
def reader_python() -> Path:
    """The Python of a reader's environment: zerograd's wheel, matplotlib, ipykernel, nbclient."""
    return _required_path("ZEROGRAD_READER_PYTHON")


@pytest.fixture
def one_page_book(tmp_path: Path) -> OnePageBook:
    """Build one MyST page as the whole book, with the real docs/conf.py and its folders.

    Call it with the page's text and, optionally, extra environment variables; it returns
    sphinx-build's completed process (warnings are errors) and the HTML folder.
    """

    def build(
        page: str, env: Mapping[str, str] | None = None
    ) -> tuple[subprocess.CompletedProcess[str], Path]:
        # The claims extension reads the library beside docs/, as in the project.
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "src", tmp_path / "src", ignore=ignore)
        source = tmp_path / "docs"
        source.mkdir()
        shutil.copy2(DOCS / "conf.py", source / "conf.py")
        # No allowlist: the book's names sentences of its pages, and a missing file allows none.
        for folder in ("_ext", "_static", "_templates", "_intersphinx"):
            shutil.copytree(DOCS / folder, source / folder, ignore=ignore)
        (source / "index.md").write_text(page, encoding="utf-8")
        html = tmp_path / "html"
        flags = ["-b", "html", "-W", "--keep-going", "-n", "-q", "-d", str(tmp_path / "doctrees")]
        run = subprocess.run(
            [sys.executable, "-m", "sphinx", *flags, str(source), str(html)],
            capture_output=True,
            text=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": "1780000000", **(env or {})},
            check=False,
        )
        return run, html

    return build
