"""Math is rendered to HTML at build time, and TeX that KaTeX cannot render fails the build.

A one-page book with the real ``docs/conf.py`` is built twice in a temporary folder: with
good TeX (KaTeX's markup in the page, no MathJax, KaTeX's CSS and fonts in the site) and
with a formula KaTeX cannot parse (the build fails and names the page and the error).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from docutils import nodes, utils

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


def _math_punctuation() -> ModuleType:
    """docs/_ext/math_punctuation.py, imported as Sphinx imports it (from docs/_ext)."""
    path = Path(__file__).resolve().parents[2] / "docs" / "_ext" / "math_punctuation.py"
    spec = importlib.util.spec_from_file_location("math_punctuation", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_punctuation_is_kept_with_its_formula_and_the_text_is_unchanged() -> None:
    """Each formula's touching punctuation (or glued number after a sign) joins it in a
    span.zg-nobreak, and the paragraph still reads the same: an earlier ", " or "." with the
    same text as the one moved is left where it was."""
    paragraph = nodes.paragraph()
    paragraph += [
        nodes.Text("a"),
        nodes.Text(", "),  # the same text as the one after w, which moves
        nodes.Text("b "),
        nodes.math(text="w"),
        nodes.Text(", "),
        nodes.Text("a, b ("),
        nodes.math(text="x"),
        nodes.Text(", c. "),
        nodes.math(text="y"),
        nodes.Text(". d, e "),
        nodes.math(text="-"),
        nodes.inline(text="2.4e-322", classes=["pasted-text"]),
        nodes.Text(", f "),
        nodes.math(text="z"),
        nodes.Text(","),
    ]
    before = paragraph.astext()
    document = utils.new_document("test")
    document += paragraph
    app = SimpleNamespace(builder=SimpleNamespace(format="html"))
    _math_punctuation()._join(app, document, "test")

    assert paragraph.astext() == before
    groups = [
        group.astext()
        for group in paragraph.findall(nodes.inline)
        if "zg-nobreak" in group["classes"]
    ]
    assert groups == ["w,", "(x,", "y.", "-2.4e-322", "z,"]
