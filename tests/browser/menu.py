"""The theme's menu button, pressed as a reader presses it.

The button (.primary-toggle in the article header) opens the table of contents in a
dialog below the theme's 992 px breakpoint and collapses the sidebar above it
(docs/conf.py says why it did neither before). Each page's visit (conftest.py) presses
it last, since the press may take the reader to another page; test_site.py reads the
outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

MENU_LINKS = "#pst-primary-sidebar-modal nav.bd-docs-nav a.reference.internal"
# How long the menu has to react to a press, in milliseconds.
WAIT_MS = 5_000
SIDEBAR_SHOWN = """() => {
  const sidebar = document.getElementById("pst-primary-sidebar");
  return sidebar.getBoundingClientRect().right > 0
    && getComputedStyle(sidebar).visibility === "visible";
}"""


def _press_the_menu_button(page: Page, where: str) -> None:
    buttons = page.locator(".primary-toggle:visible")
    assert buttons.count() == 1, f"{where}: {buttons.count()} visible menu buttons, expected one"
    buttons.click()


def _wait_for(page: Page, condition: str, failure: str) -> None:
    try:
        page.wait_for_function(condition, timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        raise AssertionError(failure) from None


def opens_the_contents(page: Page, where: str) -> None:
    _press_the_menu_button(page, where)
    _wait_for(
        page,
        "document.getElementById('pst-primary-sidebar-modal').open",
        f"{where}: the menu button did not open the table of contents",
    )
    links = page.locator(f"{MENU_LINKS}:visible")
    hrefs: list[str] = links.evaluate_all("(links) => links.map((a) => a.href)")
    here = page.url.split("#")[0]
    others = [i for i, href in enumerate(hrefs) if href.split("#")[0] != here]
    assert others, f"{where}: the open menu shows no link to another page: {hrefs}"
    target = hrefs[others[0]]
    links.nth(others[0]).click()
    try:
        # The link is followed once the navigation commits; the target page has its own visit.
        page.wait_for_url(target, wait_until="commit", timeout=10_000)
    except PlaywrightTimeoutError:
        msg = f"{where}: tapping {target} in the menu left the reader on {page.url}"
        raise AssertionError(msg) from None


def collapses_the_sidebar(page: Page, where: str) -> None:
    assert page.evaluate(SIDEBAR_SHOWN), f"{where}: the sidebar is not shown at first"
    _press_the_menu_button(page, where)
    _wait_for(page, f"!({SIDEBAR_SHOWN})()", f"{where}: ☰ did not collapse the sidebar")
    assert not page.evaluate("document.getElementById('pst-primary-sidebar-modal').open"), (
        f"{where}: ☰ opened the table of contents as a dialog instead of collapsing it"
    )
    _press_the_menu_button(page, where)
    _wait_for(page, f"({SIDEBAR_SHOWN})()", f"{where}: a second ☰ did not bring it back")


CHECKS: dict[str, Callable[[Page, str], None]] = {
    "phone": opens_the_contents,
    "tablet": opens_the_contents,
    "desktop": collapses_the_sidebar,
}
"""What the button must do at each size of conftest.SIZES."""


def failure(page: Page, viewport: str, where: str) -> str:
    """Press the menu button on ``page`` as :data:`CHECKS` says; what went wrong, or ""."""
    try:
        CHECKS[viewport](page, where)
    except (AssertionError, PlaywrightError) as error:
        return str(error) or repr(error)
    return ""
