#!/usr/bin/env python3
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
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
# Plain virtualenv + pip: pip honours the machine's pip configuration (its package
# index and constraints), which uv does not read.
nox.options.default_venv_backend = "virtualenv"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
HTML = BUILD / "html"
SPHINX_FLAGS = ["-W", "--keep-going", "-n", "-T", "-j", "2"]
# Fixed so that two builds of the book give the same HTML (dates included).
SOURCE_DATE_EPOCH = os.environ.get("SOURCE_DATE_EPOCH", "1700000000")
CHROMIUM = Path(os.environ.get("ZEROGRAD_CHROMIUM", "/usr/bin/chromium"))


def install_group(session: nox.Session, *groups: str, editable: bool = False) -> None:
    """Install dependency groups from pyproject.toml, then the package itself."""
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".") if editable else session.install(".")


def build_html(session: nox.Session, *args: str) -> None:
    """Build the book as HTML into docs/_build/html, the same way for every session."""
    session.run(
        "sphinx-build",
        "-b",
        "html",
        *SPHINX_FLAGS,
        str(DOCS),
        str(HTML),
        *args,
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )


def html_is_stale() -> bool:
    """Tell whether docs/_build/html is missing or older than a source of the book.

    The sources are every file under ``docs/`` (outside the build folders) and
    under ``src/``: the pages execute the library.
    """
    marker = HTML / ".buildinfo"  # Sphinx rewrites it at the end of every build
    if not marker.is_file():
        return True
    built = marker.stat().st_mtime
    build_folders = {"_build", "jupyter_execute", "__pycache__", ".ipynb_checkpoints"}
    sources = (
        path
        for folder in (DOCS, ROOT / "src")
        for path in folder.rglob("*")
        if path.is_file() and build_folders.isdisjoint(path.relative_to(ROOT).parts)
    )
    return any(path.stat().st_mtime > built for path in sources)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite and the library's doctests against the installed package."""
    install_group(session, "test")
    session.run("pytest", *session.posargs)
    # --noconftest: with --pyargs, pytest loads the conftest.py of each test* folder in the
    # working directory (tests_browser/ needs playwright); the doctests need none of them.
    session.run(
        "pytest",
        "--doctest-modules",
        "--pyargs",
        "zerograd",
        "-p",
        "no:cacheprovider",
        "--noconftest",
    )


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
    build_html(session, *session.posargs)
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


@nox.session(default=False)
def ab(session: nox.Session) -> None:
    """Time the working tree's gradients against another revision's, interleaved.

    ``nox -s ab`` compares with ``main``; ``nox -s ab -- REV`` with any revision, and
    further arguments go to benchmarks/ab.py (``nox -s ab -- main --quick``). Both
    versions run with the same numpy, one worker process each, in turns.
    """
    revision, *options = session.posargs or ["main"]
    install_group(session, "test")
    base = Path(session.create_tmp()) / "ab-base"
    shutil.rmtree(base, ignore_errors=True)
    source = Path(session.create_tmp()) / "ab-source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir()
    archive = source / "source.tar"
    session.run("git", "archive", "--output", str(archive), revision, external=True)
    session.run("tar", "-xf", str(archive), "-C", str(source), external=True)
    session.install("--no-deps", "--target", str(base), str(source))
    session.run("python", "benchmarks/ab.py", "--base-path", str(base), *options)


@nox.session
def browser(session: nox.Session) -> None:
    """Visit every page of the book in headless Chromium, offline.

    Checks that math is rendered, the console has no errors, no request leaves
    localhost, images have alt text and axe-core finds no serious or critical
    accessibility violation; saves a screenshot of each page under
    docs/_build/screenshots/. Builds the HTML first if it is missing or stale.
    Arguments go to pytest, e.g. ``nox -s browser -- -k index.html``.
    """
    if not CHROMIUM.is_file():
        session.error(
            f"the browser tests need Chromium at {CHROMIUM}, which is missing: install it with "
            "`apt-get update && apt-get install -y chromium` (as root), "
            "or point ZEROGRAD_CHROMIUM at a Chromium binary"
        )
    if shutil.which("npm") is None:
        session.error(
            "the browser tests fetch axe-core with npm, which is missing: install it with "
            "`apt-get update && apt-get install -y npm` (as root)"
        )
    if html_is_stale():
        session.log(f"{HTML} is missing or older than its sources: building it")
        install_group(session, "docs", "browser", editable=True)
        build_html(session)
    else:
        session.log(f"{HTML} is up to date with docs/ and src/")
        install_group(session, "browser", editable=True)
    session.run(
        "pytest",
        "tests_browser",
        *session.posargs,
        env={"ZEROGRAD_CHROMIUM": str(CHROMIUM), "ZEROGRAD_HTML": str(HTML)},
    )
    session.log(f"screenshots: {BUILD / 'screenshots'}")


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Preview the book while editing it: rebuild and reload the browser on every change.

    Watches ``src/zerograd`` too, so that a change to the library re-executes the
    pages. Arguments go to sphinx-autobuild, e.g. ``nox -s serve -- --port 8001``.
    """
    install_group(session, "docs", "serve", editable=True)
    session.run(
        "sphinx-autobuild",
        *SPHINX_FLAGS,
        "--watch",
        str(ROOT / "src" / "zerograd"),
        # The executed notebooks land in docs/_build/jupyter_execute: a change there is
        # the build's own output, not an edit.
        "--ignore",
        str(BUILD),
        str(DOCS),
        str(BUILD / "serve"),
        *session.posargs,
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )


@nox.session
def repo_review(session: nox.Session) -> None:
    """Check the project against Scientific Python's conventions (sp-repo-review), offline.

    Ignored checks are listed, each with its reason, in pyproject.toml under
    ``[tool.repo-review]``.
    """
    session.install(*nox.project.dependency_groups(PYPROJECT, "repo-review"))
    session.run("repo-review", ".", "--show", "errskip", *session.posargs)


@nox.session
def faults(session: nox.Session) -> None:
    """Plant each bug of the catalogue in tools/faults.py in a copy of the project.

    For every bug the copy's tests must fail and its book build must fail naming a
    claim or a page. Writes docs/_build/faults/ (table, JSON, logs) and fails if a
    bug escapes either net or docs/_static/faults.json is stale. Arguments go to
    the script: ``-- --update`` rewrites docs/_static/faults.json, ``-- --list``
    prints the catalogue, ``-- --only NAME ...`` runs a few bugs.
    """
    install_group(session, "docs", "test", editable=True)
    session.run(
        "python", "tools/faults.py", *session.posargs, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    )


@nox.session
def guarantees(session: nox.Session) -> None:
    """Builds that cannot lie (tests_build/), on a temporary copy of the project.

    Two clean builds give the same HTML apart from named fields; a backward rule
    edited under src/ makes the next incremental build re-execute every page and
    fail naming a claim, even with the previous build's _build/ still in place.
    """
    install_group(session, "docs", "test", editable=True)
    session.run(
        "pytest",
        "tests_build",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )


@nox.session(default=False)
def mutation(session: nox.Session) -> None:
    """Run mutmut over src/zerograd and record the share of mutants killed (slow).

    ``-- --update`` rewrites the committed record docs/_static/mutation.json.
    Explain each surviving mutant in tools/mutation_survivors.toml.
    """
    install_group(session, "mutation", editable=True)
    session.run("python", "tools/mutation.py", "run", *session.posargs)


# Default: CI checks on every run that the committed record is complete, comes from the
# library as it is, meets the target and explains every survivor. Running mutmut itself
# (nox -s mutation) takes too long for every CI run, so a change under src/ must come
# with a fresh record: `nox -s mutation -- --update`.
@nox.session
def mutation_check(session: nox.Session) -> None:
    """Check the committed mutation record in a second, without running mutmut.

    Fails unless docs/_static/mutation.json comes from a complete run on the
    library as it is now (a SHA-256 per file), the tests killed at least 95% of
    the mutants, and tools/mutation_survivors.toml explains every survivor.
    """
    session.run("python", "tools/mutation.py", "check", "--strict", *session.posargs)


if __name__ == "__main__":
    nox.main()
