"""Fixtures that serve the built book on localhost and visit it in headless Chromium.

Run through ``nox -s browser``, which builds the HTML first when it is missing or
older than its sources. Environment variables:

``ZEROGRAD_HTML``
    The built site (default ``docs/_build/html``).
``ZEROGRAD_SCREENSHOTS``
    Where each page's full-page screenshot goes (default ``docs/_build/screenshots``).
``ZEROGRAD_CHROMIUM``
    The Chromium binary (default ``/usr/bin/chromium``, Debian's package).
``ZEROGRAD_AXE_JS``
    An ``axe.min.js`` to use instead of the pinned axe-core fetched with npm.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("ZEROGRAD_HTML", ROOT / "docs" / "_build" / "html"))
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

# axe-core is pinned by version and by the SHA-256 of its axe.min.js, so that a
# registry cannot change the rules under the test.
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

VIEWPORT = {"width": 1280, "height": 900}
PAGE_TIMEOUT_MS = 120_000


def discover_pages(html: Path) -> list[str]:
    """List every page of the built site, as paths relative to ``html``.

    Sphinx's own folders (``_static``, ``_sources``, ``_images``...) hold
    templates and assets, not pages.
    """
    return sorted(
        path.relative_to(html).as_posix()
        for path in html.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(html).parts[:-1])
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that takes ``page_path`` with the pages of the built site."""
    if "page_path" not in metafunc.fixturenames:
        return
    if not (HTML / "index.html").is_file():
        msg = f"no built book at {HTML}: build it with `nox -s docs` (or run `nox -s browser`)"
        raise pytest.UsageError(msg)
    metafunc.parametrize("page_path", discover_pages(HTML))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one line per request."""


@pytest.fixture(scope="session")
def site() -> Path:
    """The folder of the built site under test."""
    return HTML


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free port of 127.0.0.1; yield its base URL."""
    server = ThreadingHTTPServer((HOST, 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The built site, served on localhost for the whole session."""
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Start Playwright's driver once for the session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Launch Debian's Chromium headless, with no network of its own."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium` (or set ZEROGRAD_CHROMIUM)",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()


def _install_axe(cache: Path) -> Path:
    """Fetch the pinned axe-core with npm into ``cache`` and return its axe.min.js."""
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            msg = "npm is needed to fetch axe-core: install Node.js and npm, or set ZEROGRAD_AXE_JS"
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
    """What one page did and showed when it was loaded in the browser."""

    path: str
    requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    math_sources: int = 0
    math_rendered: int = 0
    math_errors: list[str] = field(default_factory=list)
    math_fonts_loaded: list[str] = field(default_factory=list)
    math_fonts_failed: list[str] = field(default_factory=list)
    raw_tex: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    downloads: dict[str, int] = field(default_factory=dict)  # link -> HTTP status
    axe_violations: list[dict[str, Any]] = field(default_factory=list)
    screenshot: Path | None = None

    def __repr__(self) -> str:
        return f"Visit({self.path!r})"


# Text a reader sees outside code blocks and rendered math. Raw TeX there means
# a formula was not rendered.
_VISIBLE_PROSE_JS = """
() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "NOSCRIPT"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        // KaTeX keeps each formula's TeX in hidden MathML for screen readers.
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
"""

# KaTeX renders every formula at build time: each .math element must hold KaTeX's
# markup, none may be a KaTeX error, and the KaTeX fonts the page uses must load.
_MATH_JS = """
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
"""

_IMAGES_JS = """
() => Array.from(document.images, (img) => ({
  src: img.getAttribute("src") || "",
  alt: img.getAttribute("alt"),
  loaded: img.complete && img.naturalWidth > 0,
}))
"""

# The theme's download menu: the page's source (.md) and executed notebook (.ipynb).
_DOWNLOADS_JS = """
() => Array.from(document.querySelectorAll(".dropdown-download-buttons a[href]"), (a) => a.href)
"""

_AXE_JS = """
async (options) => {
  const result = await axe.run(document, {resultTypes: ["violations"], ...options});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}
"""

_RAW_TEX_MARKERS = ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{", "\\frac", "^{(")


def _axe(page: Page, scheme: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = page.evaluate(_AXE_JS, options)
    return [{**violation, "scheme": scheme} for violation in violations]


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname == HOST


def visit_page(
    browser: Browser, base_url: str, axe_source: str, path: str, screenshots: Path = SCREENSHOTS
) -> Visit:
    """Load one page in a fresh browser context and record what it requested, logged and showed."""
    visit = Visit(path)
    # A fresh context per page is a first visit with empty storage, as a new reader has.
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]

    def route(route: Route) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            visit.outside_requests.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_response_failed(request: Request) -> None:
        visit.failed_requests.append(f"{request.url}: {request.failure}")

    context.route("**/*", route)
    page: Page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
    page.on("requestfailed", on_response_failed)
    page.on(
        "response",
        lambda response: (
            visit.failed_requests.append(f"{response.url}: HTTP {response.status}")
            if response.status >= 400
            else None
        ),
    )
    try:
        page.goto(base_url + path, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        math = page.evaluate(_MATH_JS)
        visit.math_sources = math["sources"]
        visit.math_rendered = math["rendered"]
        visit.math_errors = math["errors"]
        visit.math_fonts_loaded = math["fonts_loaded"]
        visit.math_fonts_failed = math["fonts_failed"]
        prose = page.evaluate(_VISIBLE_PROSE_JS)
        visit.raw_tex = [marker for marker in _RAW_TEX_MARKERS if marker in prose]
        visit.images = page.evaluate(_IMAGES_JS)
        for link in page.evaluate(_DOWNLOADS_JS):
            visit.downloads[link] = context.request.get(link).status
        screenshots.mkdir(parents=True, exist_ok=True)
        visit.screenshot = screenshots / (path.replace("/", "__").removesuffix(".html") + ".png")
        page.screenshot(path=visit.screenshot, full_page=True)
        page.add_script_tag(content=axe_source)
        visit.axe_violations = _axe(page, "light", {})
        # The theme follows the reader's colour scheme. Only contrast depends on the
        # palette, so the dark one is checked for contrast alone.
        if page.evaluate("document.documentElement.dataset.theme !== undefined"):
            page.emulate_media(color_scheme="dark")
            # Colours change with a CSS transition: measure contrast once it has finished.
            page.wait_for_function(
                "document.documentElement.dataset.theme === 'dark'"
                " && document.getAnimations().every((a) => a.playState !== 'running')"
            )
            visit.axe_violations += _axe(page, "dark", {"runOnly": ["color-contrast"]})
    finally:
        context.close()
    return visit


class VisitCache(dict[str, Visit]):
    """Pages visited so far: each page is loaded once, on first use, and shared by the tests."""

    def __init__(self, browser: Browser, base_url: str, axe_source: str) -> None:
        super().__init__()
        self.browser = browser
        self.base_url = base_url
        self.axe_source = axe_source

    def __repr__(self) -> str:
        return f"VisitCache({sorted(self)})"

    def __missing__(self, path: str) -> Visit:
        try:
            visit = visit_page(self.browser, self.base_url, self.axe_source, path)
        except PlaywrightError as error:
            pytest.fail(f"{path}: the browser could not load the page: {error}", pytrace=False)
        self[path] = visit
        return visit


@pytest.fixture(scope="session")
def visits(browser: Browser, base_url: str, axe_source: str) -> VisitCache:
    """Every page's visit, shared by the tests of the session."""
    return VisitCache(browser, base_url, axe_source)


InspectPage = Callable[[Path, str, Path], Visit]


@pytest.fixture
def inspect_page(browser: Browser, axe_source: str) -> Callable[[Path, str, Path], Visit]:
    """Serve a folder on localhost and visit one page of it: ``(folder, page, screenshots)``."""

    def inspect(directory: Path, path: str, screenshots: Path) -> Visit:
        with serve(directory) as url:
            return visit_page(browser, url, axe_source, path, screenshots)

    return inspect
