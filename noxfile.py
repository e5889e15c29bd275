"""Every check of zerograd, as nox sessions.

``nox`` with no arguments runs every default session: that is what CI runs.
``nox -s docs`` builds the book. ``nox -l`` lists all sessions.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
HTML = BUILD / "html"
SPHINX_FLAGS = ["-W", "--keep-going", "-n", "-T", "-j", "2"]


def install_group(session: nox.Session, *groups: str, editable: bool = False) -> None:
    """Install dependency groups from pyproject.toml, then the package itself."""
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".") if editable else session.install(".")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite and the library's doctests against the installed package."""
    install_group(session, "test")
    session.run("pytest", *session.posargs)
    session.run("pytest", "--doctest-modules", "--pyargs", "zerograd", "-p", "no:cacheprovider")


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff and types with mypy (strict)."""
    install_group(session, "lint", editable=True)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book as HTML, executing every page against the library as it is now."""
    install_group(session, "docs", editable=True)
    env = {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000")}
    session.run(
        "sphinx-build", "-b", "html", *SPHINX_FLAGS, str(DOCS), str(HTML), *session.posargs, env=env
    )
    session.log(f"The book is at {HTML / 'index.html'}")


@nox.session
def doctest(session: nox.Session) -> None:
    """Run the {doctest} blocks of the book's pages with Sphinx's doctest builder."""
    install_group(session, "docs", editable=True)
    session.run("sphinx-build", "-b", "doctest", *SPHINX_FLAGS, str(DOCS), str(BUILD / "doctest"))


@nox.session(default=False)
def clean(session: nox.Session) -> None:
    """Remove the book's build folder, so that the next build starts cold."""
    shutil.rmtree(BUILD, ignore_errors=True)
    session.log(f"removed {BUILD}")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Time the engine against its peers and the book's builds; write benchmarks/README.md.

    Installs torch, jax and autograd (the ``bench`` group), so it is heavy and left out
    of the default sessions. Arguments go to benchmarks/engine.py, e.g.
    ``nox -s bench -- --threads 2`` or ``nox -s bench -- --quick``.
    """
    install_group(session, "docs", "bench", editable=True)
    results = ROOT / "benchmarks" / "results"
    session.run(
        "python", "benchmarks/engine.py", "--out", str(results / "engine.json"), *session.posargs
    )
    session.run(
        "python",
        "benchmarks/build.py",
        "--out",
        str(results / "build.json"),
        "--logs",
        str(results / "build-logs"),
    )
    session.run("python", "benchmarks/report.py", "--results", str(results))
