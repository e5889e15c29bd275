"""Math is rendered to HTML at build time, and TeX that KaTeX cannot render fails the build.

A one-page book with the real ``docs/conf.py`` is built twice in a temporary folder: with
good TeX (KaTeX's markup in the page, no MathJax, KaTeX's CSS and fonts in the site) and
with a formula KaTeX cannot parse (the build fails and names the page and the error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from build.conftest import OnePageBook


def test_math_is_rendered_to_html(one_page_book: OnePageBook) -> None:
    run, html = one_page_book("# Math\n\nInline $z^{(k)} = W^{(k)} x^{(k-1)}$.\n")
    assert run.returncode == 0, run.stderr
    page = (html / "index.html").read_text(encoding="utf-8")
    assert 'class="katex"' in page, "no KaTeX markup in the page"
    assert "mathjax" not in page.lower().replace("mathjax_ignore", "")
    assert (html / "_static" / "katex" / "katex.min.css").is_file()
    assert any((html / "_static" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))


@pytest.mark.parametrize("formula", [r"$\frac{a}{$", r"$\notacommand x$"])
def test_bad_tex_fails_the_build(one_page_book: OnePageBook, formula: str) -> None:
    run, _ = one_page_book(f"# Math\n\nBad: {formula}.\n")
    assert run.returncode != 0, "a formula KaTeX cannot render did not fail the build"
    assert "KaTeX cannot render" in run.stderr, run.stderr
    assert "index" in run.stderr, f"the failure does not name the page: {run.stderr}"
