"""The built book as a reader gets it: every page, in headless Chromium, offline.

Each test runs once per page of ``docs/_build/html`` and per viewport (desktop 1280x900,
phone 390x844), unless its markers narrow it; the page is loaded once per viewport and
what it did is shared between the tests (see ``conftest.py``). The visit presses the menu
button last (``menu.py``); at 768 px, where pages are not visited, a page is opened for it.

A test listed in ``known_failures.py`` is expected to fail on that page, strictly.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Route

from browser import menu

if TYPE_CHECKING:
    from browser.conftest import InspectPage, MenuFailure, OpenPage, Visit, VisitCache

# axe-core's impact levels, from least to most severe; the book allows none of
# the two most severe.
BLOCKING_IMPACTS = {"serious", "critical"}
RAW_TEX_MARKERS = ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{", "\\frac", "^{(")


def _png_size(path: Path) -> tuple[int, int]:
    """The width and height of a PNG image, from its header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG image"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_page_loads_and_is_captured(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    assert visit.requests, f"{visit.name}: no request was recorded, so the checks saw nothing"
    assert visit.screenshot is not None
    assert visit.first_screen is not None
    screen = _png_size(visit.first_screen)
    whole = _png_size(visit.screenshot)
    assert screen == (visit.probes["sideways"]["viewport"], visit.probes["verdict"]["screen"]), (
        f"{visit.name}: the first-screen screenshot is {screen}, not the viewport"
    )
    assert whole[1] >= screen[1], f"{visit.name}: the full-page screenshot is {whole}"
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


# -- Navigation: the menu button, at every width (menu.py) ------------------------------------
@pytest.mark.viewports("phone", "tablet")
def test_menu_opens_the_contents(page_path: str, viewport: str, menu_failure: MenuFailure) -> None:
    failure = menu_failure(page_path, viewport)
    assert not failure, failure


@pytest.mark.viewports("desktop")
def test_menu_button_collapses_the_sidebar(
    page_path: str, viewport: str, menu_failure: MenuFailure
) -> None:
    failure = menu_failure(page_path, viewport)
    assert not failure, failure


# The upstream bug (pydata-sphinx-theme issue 2451): a hidden .primary-toggle before the
# visible one, which the theme scripts bind instead.
HIDDEN_TOGGLE = '<button class="primary-toggle" style="display: none">hidden menu</button>'


def _with_hidden_toggle(route: Route) -> None:
    response = route.fetch()
    body = re.sub(r"(<body[^>]*>)", lambda m: m[1] + HIDDEN_TOGGLE, response.text(), count=1)
    route.fulfill(response=response, body=body)


@pytest.mark.parametrize(
    ("viewport", "check", "failure"),
    [
        ("phone", menu.opens_the_contents, "did not open the table of contents"),
        ("desktop", menu.collapses_the_sidebar, "did not collapse the sidebar"),
    ],
)
def test_the_menu_checks_catch_the_upstream_bug(
    viewport: str,
    check: Callable[[Page, str], None],
    failure: str,
    open_page: OpenPage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the theme's first .primary-toggle hidden, as before docs/conf.py's fix, the menu
    checks fail."""
    # With the bug the menu never reacts, so the check fails only once its wait runs out;
    # a shorter wait than the visits' makes that failure come sooner, not less surely.
    monkeypatch.setattr(menu, "WAIT_MS", 1_000)
    with open_page("index.html", viewport) as page:
        page.route("**/index.html", _with_hidden_toggle)
        page.reload(wait_until="load")
        assert page.locator(".primary-toggle").count() == 2, "the hidden toggle was not added"
        with pytest.raises(AssertionError, match=failure):
            check(page, f"index.html with a hidden toggle at {viewport}")


def _search_boxes(visit: Visit) -> list[str]:
    boxes: list[str] = visit.probes["search_boxes"]
    return boxes


def test_one_search_box(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    boxes = _search_boxes(visit)
    assert len(boxes) == 1, f"{visit.name}: {len(boxes)} visible search boxes: {boxes}"


def test_version_is_on_the_first_screen(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    expected = f"zerograd {version('zerograd')}"
    shown = visit.probes["identity"]
    assert any(expected in text for text in shown), (
        f"{visit.name}: {expected!r} is not on the first screen; it shows {shown}"
    )


# -- Equations, code and the page's width ----------------------------------------------------
def _short(tex: str, limit: int = 70) -> str:
    tex = " ".join(tex.split())
    return tex if len(tex) <= limit else tex[: limit - 1] + "…"


def _faded(fades: list[float] | None, edge: int) -> bool:
    """Whether the fade at ``edge`` (0: left, 1: right) is drawn and the other is not."""
    return fades is not None and fades[edge] > 0 and fades[1 - edge] == 0


def _display_problems(visit: Visit) -> list[str]:
    """Display equations wider than their box, unless marked and scrolling with the fade."""
    problems = []
    for display in visit.probes["displays"]:
        tex = _short(display["tex"])
        if display["outside_column"]:
            problems.append(
                f"{tex}: its box reaches {display['outside_column']} px past the column"
            )
        if display["formula"] <= display["box"] + 1:
            continue
        size = f"{tex}: {display['formula']} px wide in a {display['box']} px box"
        if not display["marked"]:
            problems.append(
                f"{size}; split it into aligned lines, or mark it with the class math-scroll"
                " if it cannot be split"
            )
        elif not display["scrolls"]:
            problems.append(f"{size}, marked math-scroll, does not scroll")
        elif not (_faded(display["fades_at_start"], 1) and _faded(display["fades_at_end"], 0)):
            problems.append(
                f"{size}, marked math-scroll, lacks the fade at its overflowing edge: fades"
                f" (left, right) {display['fades_at_start']} at the start of its scroll,"
                f" {display['fades_at_end']} at the end"
            )
    return problems


def test_display_equations_fit(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    problems = _display_problems(visit)
    assert not problems, f"{visit.name}: display equations wider than their box:\n" + "\n".join(
        problems
    )


def _sideways(visit: Visit) -> list[str]:
    width = visit.probes["sideways"]
    problems = []
    if width["page_width"] > width["viewport"] or width["scrolled"]:
        problems.append(
            f"the page is {width['page_width']} px wide in a {width['viewport']} px viewport"
            f" and scrolls {width['scrolled']} px sideways"
        )
    problems += [
        f"{out['element']} sticks out of the column by {out['by']} px: {out['text']!r}"
        for out in width["sticking_out"]
    ]
    return problems


def test_page_does_not_scroll_sideways(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    problems = _sideways(visit)
    assert not problems, f"{visit.name}:\n" + "\n".join(problems)


def test_formulas_keep_their_punctuation(page_path: str, viewport: str, visits: VisitCache) -> None:
    """docs/_ext/math_punctuation.py and screens.css keep a comma with its formula."""
    visit = visits[page_path, viewport]
    parted = visit.probes["parted"]
    assert not parted, f"{visit.name}: parted at a line break:\n" + "\n".join(parted)


def _wide_code(visit: Visit) -> list[str]:
    return [
        f"a {block['kind']}, {block['content']} px in a {block['box']} px box; its longest"
        f" line has {block['columns']} columns: {block['longest']!r}"
        for block in visit.probes["code_blocks"]
    ]


@pytest.mark.viewports("desktop")
def test_code_blocks_fit(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    wide = _wide_code(visit)
    assert not wide, f"{visit.name}: {len(wide)} blocks scroll sideways:\n" + "\n".join(wide)


# -- What the first page shows first, figures, long outputs ------------------------------------
# The verdict (class "verdict" in docs/index.md) ends within this many screens.
VERDICT_SCREENS = {"desktop": 1.0, "phone": 1.5}


def _verdict_problem(visit: Visit) -> str | None:
    probe = visit.probes["verdict"]
    verdicts = probe["verdicts"]
    if len(verdicts) != 1:
        return f"{len(verdicts)} elements of class 'verdict', expected one: {verdicts}"
    (verdict,) = verdicts
    limit = VERDICT_SCREENS[visit.viewport] * probe["screen"]
    if not verdict["text"]:
        return "the verdict is empty"
    if verdict["bottom"] > limit:
        return f"the verdict ends {verdict['bottom']:.0f} px down the page, below {limit:.0f} px"
    return None


@pytest.mark.pages("index.html")
def test_verdict_on_first_screen(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    problem = _verdict_problem(visit)
    assert problem is None, f"{visit.name}: {problem}"


def _uncaptioned(visit: Visit) -> list[str]:
    return [figure["src"] for figure in visit.probes["figures"] if not figure["caption"]]


def test_figures_have_captions(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    uncaptioned = _uncaptioned(visit)
    assert not uncaptioned, f"{visit.name}: images without a figure caption: {uncaptioned}"


# More rows or items than this, in a table or list that a code cell printed, are collapsed
# behind a summary (myst-nb's hide-output tag).
LONG_OUTPUT = 10


def _open_long_outputs(visit: Visit) -> list[str]:
    return [
        f"a {output['kind']} of {output['items']} rows or items, shown open: {output['first']!r}"
        for output in visit.probes["long_outputs"]
        if output["items"] > LONG_OUTPUT and not output["collapsed"]
    ]


def test_long_outputs_are_collapsed(page_path: str, viewport: str, visits: VisitCache) -> None:
    visit = visits[page_path, viewport]
    shown = _open_long_outputs(visit)
    assert not shown, f"{visit.name}: " + "; ".join(shown)


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


# A page that breaks every layout check, styled by the built book's own CSS (its _static).
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8"
    "AAAAASUVORK5CYII="
)


def _wide_display(classes: str, style: str = "") -> str:
    return (
        f'<div class="{classes}"><span class="katex-display"><span class="katex">'
        f'<span class="katex-html" style="{style}"><span class="wide"></span></span>'
        "</span></span></div>"
    )


BAD_LAYOUT = f"""<!DOCTYPE html>
<html lang="en"><head><title>bad layout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="_static/katex/katex.min.css">
<link rel="stylesheet" href="_static/katex-math.css">
<link rel="stylesheet" href="_static/zerograd.css">
<link rel="stylesheet" href="_static/screens.css">
<style>
.bd-article {{ width: 600px; }}
pre {{ overflow: auto; }}
.wide {{ display: inline-block; width: 2000px; height: 1em; }}
.formula {{ display: inline-block; width: 200px; height: 1em; }}
</style>
</head><body>
<button class="search-button__button">Search</button>
<button class="search-button__button">Search again</button>
<article class="bd-article">
{_wide_display("math")}
{_wide_display("math math-scroll")}
{_wide_display("math math-scroll", "animation: none")}
<div class="cell_input"><pre>{"x = 1  # " + "a long comment " * 10}</pre></div>
<div class="cell_output"><ul>{"<li>item</li>" * (LONG_OUTPUT + 1)}</ul></div>
<img src="{TINY_PNG}" alt="a figure with no caption">
<table><tr><td><span class="wide"></span></td></tr></table>
<p style="width: 200px"><span class="math"><span class="katex"><span class="katex-html"><span class="formula"></span></span></span></span>, a comma parted from its formula</p>
<p style="width: 40px"><span class="pasted-text" style="white-space: normal">1.29e-26</span></p>
<div class="verdict" style="margin-top: 3000px">The answer.</div>
</article>
</body></html>
"""


def test_the_layout_checks_catch_a_bad_page(
    tmp_path: Path, inspect_page: InspectPage, site: Path
) -> None:
    """Every layout check above fails on a page built to break each of them."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "_static").symlink_to(site / "_static")
    (folder / "bad.html").write_text(BAD_LAYOUT, encoding="utf-8")
    visit = inspect_page(folder, "bad.html", tmp_path / "shots")
    displays = _display_problems(visit)
    assert len(displays) == 2, displays  # the marked display with its fade passes
    assert "mark it with the class math-scroll" in displays[0]
    assert "lacks the fade" in displays[1]
    (code,) = _wide_code(visit)
    assert "a code cell" in code
    assert len(_open_long_outputs(visit)) == 1
    assert _uncaptioned(visit) == [TINY_PNG]
    assert len(_search_boxes(visit)) == 2
    sideways = _sideways(visit)
    assert sideways[0].startswith("the page is"), sideways
    assert any(problem.startswith("table sticks out") for problem in sideways), sideways
    assert "below 900 px" in (_verdict_problem(visit) or "")
    assert visit.probes["identity"] == []
    assert visit.probes["parted"] == [
        '"," after  starts a line',
        "the glued value 1.29e-26 is split",
    ]
