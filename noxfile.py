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
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
# uv when it is installed (`pip install nox uv`; CI and Read the Docs install it): six
# sessions install the docs group, about 100 packages, which takes pip about a minute
# each time and uv a few seconds. Without uv, nox falls back to virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
# Sessions that install torch use pip: pip reads the machine's configuration, and on
# these machines that points at a local CPU build of torch; uv would download a CUDA
# build of several GB.
PIP_BACKEND = "virtualenv"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
HTML = BUILD / "html"
DOCTREES = BUILD / "doctrees"  # outside html/, so that they are never published
SPHINX_FLAGS = ["-W", "--keep-going", "-n", "-T", "-j", "2"]
# The versions CI tested, shared by every session that installs a dependency group and by
# Read the Docs (which runs `nox -s docs`). `nox -s lock` rewrites it.
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
LOCKED_GROUPS = (
    "nox",
    "test",
    "docs",
    "browser",
    "lint",
    "serve",
    "repo-review",
    "mutation",
    "build",
)


def source_date_epoch() -> str:
    """The time of the last commit, so that two builds of one commit give the same HTML.

    The environment's SOURCE_DATE_EPOCH wins; outside a git checkout there must be one.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        return subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        msg = f"set SOURCE_DATE_EPOCH: outside a git checkout there is no last commit ({error})"
        raise SystemExit(msg) from error


CHROMIUM = Path(os.environ.get("ZEROGRAD_CHROMIUM", "/usr/bin/chromium"))


# pip compiles the packages it installs to bytecode; uv does not unless asked. Where
# PYTHONDONTWRITEBYTECODE is set (as on the machines this project is checked on, and in many
# container images) Python then never writes the bytecode either, so every notebook kernel of
# every book build compiled IPython, numpy, matplotlib and SymPy from source again: cold
# strict builds took 64-94 s against 39-53 s with the bytecode compiled once at install
# (three pairs in turns on one busy 2-core machine, November 2026). uv's own setting does it
# for the packages it installs, so an environment made before this setting needs making
# again once (`--reuse-venv=never`). Without the variable Python writes the bytecode as it
# imports, and installs stay as they were.
INSTALL_ENV = {"UV_COMPILE_BYTECODE": "1"} if os.environ.get("PYTHONDONTWRITEBYTECODE") else {}


def install_group(session: nox.Session, *groups: str, editable: bool = False) -> None:
    """Install dependency groups from pyproject.toml, at the locked versions, then zerograd."""
    locked = ["--constraint", str(CONSTRAINTS)]
    for group in groups:
        session.install(*locked, *nox.project.dependency_groups(PYPROJECT, group), env=INSTALL_ENV)
    session.install(*locked, *(["-e", "."] if editable else ["."]), env=INSTALL_ENV)


def build_html(session: nox.Session, *args: str) -> None:
    """Build the book as HTML into docs/_build/html, the same way for every session."""
    session.run(
        "sphinx-build",
        "-b",
        "html",
        *SPHINX_FLAGS,
        "-d",
        str(DOCTREES),
        str(DOCS),
        str(HTML),
        *args,
        env={"SOURCE_DATE_EPOCH": source_date_epoch()},
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite and the library's doctests against the installed package."""
    install_group(session, "test")
    session.run("pytest", *session.posargs)
    # --noconftest: with --pyargs, pytest still loads tests/conftest.py (the conftest of each
    # test* folder in the working directory); the doctests need none.
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
    session.run("check-jsonschema", "--builtin-schema", "vendor.readthedocs", ".readthedocs.yaml")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book as HTML, executing every page against the library as it is now."""
    install_group(session, "docs", editable=True)
    build_html(session, *session.posargs)
    session.log(f"The book is at {HTML / 'index.html'}")


@nox.session
def doctest(session: nox.Session) -> None:
    """Run the {doctest} blocks of the book's pages with Sphinx's doctest builder.

    The {doctest} blocks need no page's code cells, so the pages are not executed:
    ``nox -s docs`` executes them and checks every claim, every glued value and the
    wording of the text. Without execution no claim is checked, glued values are
    missing and the wording lint sees ``{glue}`` where the text has numbers, so this
    build silences exactly those three warnings (``claims.not_executed``,
    ``mystnb.glue``, ``claims.wording``); every other warning still fails it.
    """
    install_group(session, "docs", editable=True)
    session.run(
        "sphinx-build",
        "-b",
        "doctest",
        *SPHINX_FLAGS,
        "-d",
        str(BUILD / "doctest-doctrees"),
        str(DOCS),
        str(BUILD / "doctest"),
        "-D",
        "nb_execution_mode=off",
        "-D",
        "suppress_warnings=claims.not_executed,mystnb.glue,claims.wording",
    )


@nox.session(default=False)
def clean(session: nox.Session) -> None:
    """Remove the book's build folder, so that the next build starts cold."""
    shutil.rmtree(BUILD, ignore_errors=True)
    session.log(f"removed {BUILD}")


@nox.session(default=False, venv_backend=PIP_BACKEND)
def bench(session: nox.Session) -> None:
    """Time the engine, gradient_norms and the book's builds; write benchmarks/README.md.

    Installs torch, jax, autograd, BackPACK and Opacus (the ``bench`` and ``bench-norms``
    groups), so it is heavy and left out of the default sessions; on 2 idle cores it takes
    about 40 minutes, 30 of them in benchmarks/norms.py. Arguments go to
    benchmarks/engine.py, e.g. ``nox -s bench -- --threads 2`` or ``nox -s bench -- --quick``;
    ``nox -s bench_norms`` runs the norms part alone.
    """
    install_group(session, "docs", "bench", "bench-norms", editable=True)
    results = ROOT / "benchmarks" / "results"
    session.run(
        "python", "benchmarks/engine.py", "--out", str(results / "engine.json"), *session.posargs
    )
    session.run("python", "benchmarks/norms.py", "--out", str(results / "norms.json"))
    session.run(
        "python",
        "benchmarks/build.py",
        "--out",
        str(results / "build.json"),
        "--logs",
        str(results / "build-logs"),
    )
    session.run("python", "benchmarks/report.py", "--results", str(results))


@nox.session(default=False, venv_backend=PIP_BACKEND)
def bench_norms(session: nox.Session) -> None:
    """The gradient_norms part of ``nox -s bench`` alone, then benchmarks/README.md again.

    Times gradient_norms and measures its peak memory against torch.func, BackPACK and
    Opacus (the ``bench-norms`` group, pinned); about 30 minutes on 2 idle cores. Arguments
    go to benchmarks/norms.py, e.g. ``nox -s bench_norms -- --quick``.
    """
    install_group(session, "bench-norms", editable=True)
    session.install("--constraint", str(CONSTRAINTS), "matplotlib>=3.8")  # for the report's plot
    results = ROOT / "benchmarks" / "results"
    session.run(
        "python", "benchmarks/norms.py", "--out", str(results / "norms.json"), *session.posargs
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
    docs/_build/screenshots/. Brings the HTML up to date first.
    Arguments go to pytest, e.g. ``nox -s browser -- -k index.html``.
    """
    if not CHROMIUM.is_file():
        session.error(
            f"the browser tests need Chromium at {CHROMIUM}, which is missing: install it with "
            "`apt-get update && apt-get install -y chromium` (as root), "
            "or point ZEROGRAD_CHROMIUM at a Chromium binary"
        )
    # Sphinx's incremental build re-reads only what changed (every page after a change
    # under src/); with nothing changed it reads no page.
    install_group(session, "docs", "browser", editable=True)
    build_html(session)
    session.run(
        "pytest",
        "tests/browser",
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
        "-d",
        str(BUILD / "serve-doctrees"),
        "--watch",
        str(ROOT / "src" / "zerograd"),
        # The executed notebooks land in docs/_build/jupyter_execute: a change there is
        # the build's own output, not an edit.
        "--ignore",
        str(BUILD),
        str(DOCS),
        str(BUILD / "serve"),
        *session.posargs,
        env={"SOURCE_DATE_EPOCH": source_date_epoch()},
    )


@nox.session
def repo_review(session: nox.Session) -> None:
    """Check the project against Scientific Python's conventions (sp-repo-review), offline.

    Ignored checks are listed, each with its reason, in pyproject.toml under
    ``[tool.repo-review]``.
    """
    install_group(session, "repo-review")
    session.run("repo-review", ".", "--show", "errskip", *session.posargs)


@nox.session
def faults(session: nox.Session) -> None:
    """Plant each bug of the catalogue in tools/faults.py in a copy of the project.

    For every bug the copy's tests must fail, and the book's pages that call the
    function the bug is in (executed as the build executes them, without HTML) must
    fail a claim's check or stop with an error. Writes docs/_build/faults/ (table,
    JSON, logs) and fails if a bug escapes either net or docs/_static/faults.json is
    stale. Arguments go to the script: ``-- --update`` rewrites docs/_static/faults.json, ``-- --list``
    prints the catalogue, ``-- --only NAME ...`` runs a few bugs.
    """
    install_group(session, "docs", "test", editable=True)
    session.run(
        "python",
        "tools/faults.py",
        *session.posargs,
        env={"SOURCE_DATE_EPOCH": source_date_epoch()},
    )


@nox.session
def guarantees(session: nox.Session) -> None:
    """Builds that cannot lie (tests/build/), on a temporary copy of the project.

    Two clean builds give the same HTML apart from named fields; a backward rule
    edited under src/ makes the next incremental build re-execute every page and
    fail naming a claim, even with the previous build's _build/ still in place.
    """
    install_group(session, "docs", "test", editable=True)
    session.run(
        "pytest",
        "tests/build",
        "--ignore",
        "tests/build/test_notebooks.py",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"SOURCE_DATE_EPOCH": source_date_epoch()},
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


@nox.session(default=False)
def htmlzip(session: nox.Session) -> None:
    """Pack the built book into one zip for offline readers (Read the Docs' htmlzip download).

    Brings docs/_build/html up to date first. The zip goes to $READTHEDOCS_OUTPUT/htmlzip/
    on Read the Docs, otherwise to docs/_build/htmlzip/.
    """
    install_group(session, "docs", editable=True)
    build_html(session)
    output = Path(os.environ.get("READTHEDOCS_OUTPUT", BUILD)) / "htmlzip"
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    release = session.run(
        "python", "-c", "import zerograd; print(zerograd.__version__)", silent=True
    )
    name = f"zerograd-{str(release).strip()}-html"
    archive = shutil.make_archive(str(output / name), "zip", root_dir=HTML.parent, base_dir="html")
    session.log(f"wrote {archive}")


# pip, whose `pip freeze` writes the file.
@nox.session(default=False, venv_backend=PIP_BACKEND)
def lock(session: nox.Session) -> None:
    """Rewrite .ci/constraints.txt: the newest versions that satisfy every dependency group.

    Installs the groups in a fresh environment with no constraints and freezes the result
    (Linux, this Python); run it on purpose, then run `nox` and commit the file if green.
    Read the Docs builds with the same file, so the site is built with what CI tested.
    """
    shutil.rmtree(Path(session.virtualenv.location), ignore_errors=True)
    session.virtualenv.create()
    for group in LOCKED_GROUPS:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install(".")
    frozen = session.run("python", "-m", "pip", "freeze", "--exclude", "zerograd", silent=True)
    header = (
        "# The versions `nox` (CI) and Read the Docs install: written by `nox -s lock`\n"
        f"# from the dependency groups {', '.join(LOCKED_GROUPS)} of pyproject.toml.\n"
    )
    CONSTRAINTS.write_text(header + str(frozen), encoding="utf-8")
    session.log(f"wrote {CONSTRAINTS}")


def readme_example() -> str:
    """The Python code blocks of README.md's section "The library", in order, as one script."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The library\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    if not blocks:
        msg = "README.md's section 'The library' has no ```python example to run"
        raise SystemExit(msg)
    return "\n".join(blocks)


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel, check them, and run the README's example from the wheel.

    The wheel is installed in a fresh virtual environment with nothing else, the way a
    user installs zerograd; the sdist must not carry build output (docs/_build,
    _readthedocs/...).
    """
    install_group(session, "build")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("twine", "check", "--strict", *map(str, sorted(dist.iterdir())))
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    leaked = [m for m in members if re.search(r"/(_readthedocs|docs/_build|\.nox|dist)/", m)]
    if leaked:
        session.error(f"{sdist.name} carries build output: {leaked[:5]}")
    session.log(f"{sdist.name}: {len(members)} files")
    reader = Path(session.create_tmp()).resolve() / "user-venv"
    shutil.rmtree(reader, ignore_errors=True)
    session.run("python", "-m", "venv", str(reader))
    (wheel,) = dist.glob("*.whl")
    session.run(
        str(reader / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel), external=True
    )
    check = (
        "import zerograd, sys; assert zerograd.__file__.startswith(sys.prefix), zerograd.__file__"
    )
    session.run(str(reader / "bin" / "python"), "-c", check, external=True)
    session.run(str(reader / "bin" / "python"), "-c", readme_example(), external=True)
    session.log("the README's example ran against the installed wheel")


@nox.session
def notebooks(session: nox.Session) -> None:
    """Run every page's downloadable notebook as a reader would, top to bottom.

    The notebooks are taken from the built site (brought up to date first) and run in a
    fresh virtual environment holding only the zerograd wheel, matplotlib, SymPy, mpmath,
    ipykernel and nbclient: no myst-nb, no Sphinx.
    """
    install_group(session, "docs", "test", editable=True)
    build_html(session)
    tmp = Path(session.create_tmp()).resolve()
    reader = tmp / "reader-venv"
    shutil.rmtree(reader, ignore_errors=True)
    session.run("python", "-m", "venv", str(reader))
    wheels = tmp / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    session.run(
        str(reader / "bin" / "python"),
        *("-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), "."),
        external=True,
    )
    (wheel,) = wheels.glob("*.whl")
    # SymPy: several pages prove formulas symbolically; mpmath: the batch page computes to
    # 50 digits. Both in the reader's kernel too.
    reader_packages = ["matplotlib", "sympy", "mpmath", "ipykernel", "nbclient"]
    session.run(
        str(reader / "bin" / "python"),
        *("-m", "pip", "install", "-q", "--constraint", str(CONSTRAINTS)),
        str(wheel),
        *reader_packages,
        external=True,
    )
    session.run(
        "pytest",
        "tests/build/test_notebooks.py",
        "-p",
        "no:cacheprovider",
        *("-n", "2"),  # a notebook runs in one kernel: two at a time on two cores
        *session.posargs,
        env={"ZEROGRAD_HTML": str(HTML), "ZEROGRAD_READER_PYTHON": str(reader / "bin" / "python")},
    )


@nox.session(default=False)
def inventories(session: nox.Session) -> None:
    """Rewrite docs/_intersphinx/ (the offline intersphinx inventories); see tools/inventories.py."""
    session.install("sphobjinv>=2.3")
    session.run("python", "tools/inventories.py", *session.posargs)


if __name__ == "__main__":
    nox.main()
