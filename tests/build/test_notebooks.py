"""Every page's downloadable notebook runs, top to bottom, where a reader would run it.

A reader runs a page's executed notebook (the download menu's ``.ipynb``, under
``_sources/`` in the site and in its zip) with zerograd, matplotlib, SymPy (the notation
page's proofs) and a Jupyter kernel installed, and nothing of the book's build (no myst-nb,
no Sphinx). Each test does that with ``jupyter execute`` (nbclient) in the environment
``nox -s notebooks`` prepares: a notebook that needs no file runs from an empty folder;
one that reads the book's published records (how-we-know reads ``_static/*.json``) runs
from a copy of the site.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 600


def _notebooks() -> list[str]:
    # The pages that are notebooks, by their MyST header; the built site must offer each.
    pages = sorted(ROOT.joinpath("docs").rglob("*.md"))
    return sorted(
        page.relative_to(ROOT / "docs").with_suffix(".ipynb").as_posix()
        for page in pages
        if "_build" not in page.parts and "kernelspec:" in page.read_text(encoding="utf-8")
    )


def test_the_reader_has_no_book_tooling(reader_python: Path) -> None:
    for module in ("myst_nb", "sphinx"):
        found = subprocess.run(
            [reader_python, "-c", f"import importlib.util as u; print(u.find_spec({module!r}))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert found == "None", f"the reader's environment has {module}: {found}"


@pytest.mark.parametrize("notebook", _notebooks())
def test_downloaded_notebook_runs(
    notebook: str, built_site: Path, reader_python: Path, tmp_path: Path
) -> None:
    downloaded = built_site / "_sources" / notebook
    assert downloaded.is_file(), f"the site offers no {notebook} to download"
    if "_static" in downloaded.read_text(encoding="utf-8"):
        for record in (built_site / "_static").glob("*.json"):
            (tmp_path / "_static").mkdir(exist_ok=True)
            shutil.copyfile(record, tmp_path / "_static" / record.name)
        tmp_path = tmp_path / "_sources"
        tmp_path.mkdir()
    copy = tmp_path / Path(notebook).name
    shutil.copyfile(downloaded, copy)
    execute = Path(reader_python).parent / "jupyter-execute"
    run = subprocess.run(
        [execute, f"--timeout={TIMEOUT_S}", copy.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "agg", "NO_COLOR": "1"},
        check=False,
    )
    tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-25:])
    assert run.returncode == 0, f"{notebook} fails as a reader runs it:\n{tail}"
