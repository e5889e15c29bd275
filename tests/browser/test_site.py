"""The built book as a reader gets it: every page, in headless Chromium, offline.

Each test runs once per page of ``docs/_build/html`` and per viewport (desktop 1280x900,
phone 390x844); the page is loaded once per viewport and what it did is shared between
the tests (see ``conftest.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from browser.conftest import InspectPage, OpenPage, Visit, VisitCache

# axe-core's impact levels, from least to most severe; the book allows none of
# the two most severe.
BLOCKING_IMPACTS = {"serious", "critical"}
RAW_TEX_MARKERS = ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{", "\\frac", "^{(")


def test_page_loads_and_is_captured(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    assert visit.requests, f"{visit.name}: no request was recorded, so the checks saw nothing"
    assert visit.screenshot is not None
    assert visit.screenshot.stat().st_size > 0, f"{visit.name}: empty screenshot"
    assert not visit.failed_requests, f"{visit.name}: requests failed: {visit.failed_requests}"


def _raw_tex(visit: Visit) -> list[str]:
    return [marker for marker in RAW_TEX_MARKERS if marker in visit.probes["prose"]]


def test_math_is_rendered(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    math = visit.probes["math"]
    assert math["rendered"] == math["sources"], (
        f"{visit.name}: {math['sources']} math elements but only {math['rendered']} "
        "hold KaTeX's rendering"
    )
    assert not math["errors"], f"{visit.name}: KaTeX could not render: {math['errors']}"
    assert not _raw_tex(visit), f"{visit.name}: raw TeX is visible: {_raw_tex(visit)}"
    assert not math["fonts_failed"], f"{visit.name}: fonts failed: {math['fonts_failed']}"
    if math["sources"]:
        assert math["fonts_loaded"], f"{visit.name}: math but no KaTeX font loaded"


def test_no_console_errors(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    assert not visit.console_errors, f"{visit.name}: console errors: {visit.console_errors}"


def test_no_request_leaves_localhost(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    assert not visit.outside_requests, (
        f"{visit.name}: requests to other hosts (blocked, so an offline reader loses them): "
        f"{visit.outside_requests}"
    )


def _missing_alt(visit: Visit) -> list[str]:
    # Sphinx writes an image's own path as its alt text when the source gives none;
    # that is no description of the image.
    return [
        f"{image['src']} (alt={image['alt']!r})"
        for image in visit.probes["images"]
        if not (image["alt"] or "").strip()
        or image["alt"].strip() in {image["src"], PurePosixPath(image["src"]).name}
    ]


def test_images_have_alt_text(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    missing = _missing_alt(visit)
    assert not missing, f"{visit.name}: images without a real alt text: {missing}"
    broken = [image["src"] for image in visit.probes["images"] if not image["loaded"]]
    assert not broken, f"{visit.name}: images that did not load: {broken}"


def test_sources_can_be_downloaded(
    page_path: str, viewport: str, visits: VisitCache, site: Path
) -> None:
    visit = visits[page_path, viewport]
    source = site / "_sources" / PurePosixPath(page_path).with_suffix(".md")
    if not source.is_file():
        assert not visit.downloads, f"{visit.name}: download links without a source page"
        return  # a page Sphinx generates (genindex, search): it has no source
    names = {PurePosixPath(link).name: status for link, status in visit.downloads.items()}
    expected = [source.name]
    if "kernelspec:" in source.read_text(encoding="utf-8"):  # a MyST notebook
        expected.append(source.with_suffix(".ipynb").name)
    missing = [name for name in expected if name not in names]
    assert not missing, f"{visit.name}: the download menu lacks {missing}; it has {sorted(names)}"
    broken = {name: status for name, status in names.items() if status != 200}
    assert not broken, f"{visit.name}: download links do not load: {broken}"


def _blocking(visit: Visit) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}, {violation['scheme']} theme): "
        f"{violation['help']} at "
        + "; ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in visit.axe_violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def test_no_serious_accessibility_violations(
    page_path: str, viewport: str, visits: VisitCache
) -> None:
    visit = visits[page_path, viewport]
    blocking = _blocking(visit)
    assert not blocking, f"{visit.name}: axe-core found: " + "\n".join(blocking)


def test_open_page_records_like_a_visit(open_page: OpenPage) -> None:
    """A probe that interacts gets a page of the served book at the viewport it asked for."""
    with open_page("index.html", "phone") as page:
        assert page.viewport_size == {"width": 390, "height": 844}
        assert page.title(), "the first page has no title"


BAD_PAGE = r"""<!DOCTYPE html>
<html><head><title>bad</title><link rel="stylesheet" href="katex.css"></head>
<body>
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
    math = visit.probes["math"]
    assert math["sources"] == 2
    assert math["rendered"] == 0
    assert math["errors"] == ["ParseError: bad"]
    assert math["fonts_failed"] == ["KaTeX_Main"]
    assert "\\(" in _raw_tex(visit)
    assert any("deliberate error" in error for error in visit.console_errors)
    assert visit.outside_requests == ["http://outside.invalid/outside.png"]
    assert _missing_alt(visit) == ["figure.png (alt=None)"]
    assert any("figure.png" in failure for failure in visit.failed_requests)
    assert any(line.startswith("button-name") for line in _blocking(visit))
