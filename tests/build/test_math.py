"""Math is rendered to HTML at build time, and TeX that KaTeX cannot render fails the build.

A one-page book with the real ``docs/conf.py`` is built twice in a temporary folder: with
good TeX (KaTeX's markup in the page, no MathJax, KaTeX's CSS and fonts in the site) and
with a formula KaTeX cannot parse (the build fails and names the page and the error).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def build_one_page(tmp_path: Path, page: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Build ``page`` as the only page of a book configured by docs/conf.py."""
    source = tmp_path / "docs"
    source.mkdir()
    shutil.copy2(DOCS / "conf.py", source / "conf.py")
    for folder in ("_ext", "_static", "_templates", "_intersphinx"):
        shutil.copytree(DOCS / folder, source / folder)
    (source / "index.md").write_text(page, encoding="utf-8")
    html = tmp_path / "html"
    flags = ["-b", "html", "-W", "--keep-going", "-n", "-q", "-d", str(tmp_path / "doctrees")]
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", *flags, str(source), str(html)],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1780000000"},
        check=False,
    )
    return run, html


def test_math_is_rendered_to_html(tmp_path: Path) -> None:
    run, html = build_one_page(tmp_path, "# Math\n\nInline $z^{(k)} = W^{(k)} x^{(k-1)}$.\n")
    assert run.returncode == 0, run.stderr
    page = (html / "index.html").read_text(encoding="utf-8")
    assert 'class="katex"' in page, "no KaTeX markup in the page"
    assert "mathjax" not in page.lower().replace("mathjax_ignore", "")
    assert (html / "_static" / "katex" / "katex.min.css").is_file()
    assert any((html / "_static" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))


@pytest.mark.parametrize("formula", [r"$\frac{a}{$", r"$\notacommand x$"])
def test_bad_tex_fails_the_build(tmp_path: Path, formula: str) -> None:
    run, _ = build_one_page(tmp_path, f"# Math\n\nBad: {formula}.\n")
    assert run.returncode != 0, "a formula KaTeX cannot render did not fail the build"
    assert "KaTeX cannot render" in run.stderr, run.stderr
    assert "index" in run.stderr, f"the failure does not name the page: {run.stderr}"
