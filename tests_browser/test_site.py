"""The built book as a reader gets it: every page, in headless Chromium, offline.

Each test runs once per page of ``docs/_build/html``; the page is loaded once
and what it did is shared between the tests (see ``conftest.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests_browser.conftest import InspectPage, Visit, VisitCache

# axe-core's impact levels, from least to most severe; the book allows none of
# the two most severe.
BLOCKING_IMPACTS = {"serious", "critical"}


def test_page_loads_and_is_captured(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    assert visit.requests, f"{page_path}: no request was recorded, so the checks below saw nothing"
    assert visit.screenshot is not None
    assert visit.screenshot.stat().st_size > 0, f"{page_path}: empty screenshot"
    assert not visit.failed_requests, f"{page_path}: requests failed: {visit.failed_requests}"


def test_math_is_rendered(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    assert visit.math_rendered == visit.math_sources, (
        f"{page_path}: {visit.math_sources} math elements but only {visit.math_rendered} "
        "hold KaTeX's rendering"
    )
    assert not visit.math_errors, f"{page_path}: KaTeX could not render: {visit.math_errors}"
    assert not visit.raw_tex, f"{page_path}: raw TeX is visible in the text: {visit.raw_tex}"
    assert not visit.math_fonts_failed, f"{page_path}: fonts failed: {visit.math_fonts_failed}"
    if visit.math_sources:
        assert visit.math_fonts_loaded, f"{page_path}: math but no KaTeX font loaded"


def test_no_console_errors(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    assert not visit.console_errors, f"{page_path}: console errors: {visit.console_errors}"


def test_no_request_leaves_localhost(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    assert not visit.outside_requests, (
        f"{page_path}: requests to other hosts (blocked, so an offline reader loses them): "
        f"{visit.outside_requests}"
    )


def _missing_alt(visit: Visit) -> list[str]:
    # Sphinx writes an image's own path as its alt text when the source gives none;
    # that is no description of the image.
    return [
        f"{image['src']} (alt={image['alt']!r})"
        for image in visit.images
        if not (image["alt"] or "").strip()
        or image["alt"].strip() in {image["src"], PurePosixPath(image["src"]).name}
    ]


def test_images_have_alt_text(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    missing = _missing_alt(visit)
    assert not missing, f"{page_path}: images without a real alt text: {missing}"
    broken = [image["src"] for image in visit.images if not image["loaded"]]
    assert not broken, f"{page_path}: images that did not load: {broken}"


def test_sources_can_be_downloaded(page_path: str, visits: VisitCache, site: Path) -> None:
    visit = visits[page_path]
    source = site / "_sources" / PurePosixPath(page_path).with_suffix(".md")
    if not source.is_file():
        assert not visit.downloads, f"{page_path}: download links without a source page"
        return  # a page Sphinx generates (genindex, search): it has no source
    names = {PurePosixPath(link).name: status for link, status in visit.downloads.items()}
    expected = [source.name]
    if "kernelspec:" in source.read_text(encoding="utf-8"):  # a MyST notebook
        expected.append(source.with_suffix(".ipynb").name)
    missing = [name for name in expected if name not in names]
    assert not missing, f"{page_path}: the download menu lacks {missing}; it has {sorted(names)}"
    broken = {name: status for name, status in names.items() if status != 200}
    assert not broken, f"{page_path}: download links do not load: {broken}"


def _blocking(visit: Visit) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}, {violation['scheme']} theme): "
        f"{violation['help']} at "
        + "; ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in visit.axe_violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def test_no_serious_accessibility_violations(page_path: str, visits: VisitCache) -> None:
    visit = visits[page_path]
    blocking = _blocking(visit)
    assert not blocking, f"{page_path}: axe-core found: " + "\n".join(blocking)


BAD_PAGE = r"""<!DOCTYPE html>
<html><head><title>bad</title></head>
<body>
<link rel="stylesheet" href="katex.css">
<p>Raw TeX that nothing renders: <span class="math">\(z^{(k)} = W^{(k)} x^{(k-1)}\)</span></p>
<p>A KaTeX error: <span class="math"><span class="katex-error" title="ParseError: bad">\frac{</span></span></p>
<p class="font">x</p>
<img src="figure.png">
<img src="http://outside.invalid/outside.png" alt="a picture from elsewhere">
<button></button>
<script>console.error("deliberate error");</script>
</body></html>
"""


def test_the_checks_catch_a_bad_page(tmp_path: Path, inspect_page: InspectPage) -> None:
    """Every check above fails on a page built to break each of them."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "bad.html").write_text(BAD_PAGE, encoding="utf-8")
    (site / "katex.css").write_text(
        '@font-face { font-family: KaTeX_Main; src: url(missing.woff2) format("woff2"); }\n'
        ".font { font-family: KaTeX_Main; }\n",
        encoding="utf-8",
    )
    visit = inspect_page(site, "bad.html", tmp_path / "shots")
    assert visit.math_sources == 2
    assert visit.math_rendered == 0
    assert visit.math_errors == ["ParseError: bad"]
    assert visit.math_fonts_failed == ["KaTeX_Main"]
    assert "\\(" in visit.raw_tex
    assert visit.console_errors
    assert any("deliberate error" in error for error in visit.console_errors)
    assert visit.outside_requests == ["http://outside.invalid/outside.png"]
    assert _missing_alt(visit) == ["figure.png (alt=None)"]
    assert any("figure.png" in failure for failure in visit.failed_requests)
    assert any(line.startswith("button-name") for line in _blocking(visit))
