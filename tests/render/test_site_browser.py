"""The site in a real browser: Debian's headless Chromium driven by Playwright.

Loads the German and Arabic pages on a 375 px wide phone screen, checks there is no horizontal
scrolling, follows the language switcher, tabs to the skip link, and saves screenshots under
``build/screenshots/`` for review. Never runs ``playwright install``: it uses /usr/bin/chromium
(``.ci/run`` installs it) and fails with a clear message when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pubflow.config import load_settings
from pubflow.render.preview import Preview

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PHONE = {"width": 375, "height": 812}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium "
            "(run .ci/run, or apt-get install chromium); never `playwright install`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site_url(site_project: Path) -> Iterator[str]:
    with Preview(load_settings(site_project), port=0, log=lambda _: None) as preview:
        preview.start()
        yield preview.url


def _no_horizontal_scroll(page: object) -> None:
    widths = page.evaluate(  # type: ignore[attr-defined]
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize(("locale", "direction"), [("de", "ltr"), ("ar", "rtl"), ("pt_BR", "ltr"), ("en_XA", "ltr")])
def test_phone_layout_has_no_horizontal_scrolling(
    browser: object, site_url: str, locale: str, direction: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    try:
        page.goto(f"{site_url}{locale}/calm-mornings/")
        assert page.evaluate("document.documentElement.dir") == direction
        _no_horizontal_scroll(page)
        # Mirrored layout: the tip's accent border is on the reading side.
        border = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('.tip'));"
            " return [s.borderLeftWidth, s.borderRightWidth]; })()"
        )
        assert border == (["0px", "4px"] if direction == "rtl" else ["4px", "0px"])
        page.screenshot(path=str(SCREENSHOTS / f"site-{locale}-375.png"), full_page=True)
        page.goto(f"{site_url}{locale}/")
        _no_horizontal_scroll(page)
    finally:
        page.close()


def test_language_switcher_leads_to_the_same_article(browser: object, site_url: str) -> None:
    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    try:
        page.goto(f"{site_url}de/calm-mornings/")
        assert page.text_content("h1") == "Ruhige Morgen: 3 Tipps"
        page.click('nav.languages a[hreflang="ar"]')
        page.wait_for_url(f"{site_url}ar/calm-mornings/")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        assert page.text_content("h1") == "صباحات هادئة: 3 نصائح"
        _no_horizontal_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / "site-ar-after-switch-375.png"))
        page.click('nav.languages a[hreflang="de"]')
        page.wait_for_url(f"{site_url}de/calm-mornings/")
        # The language chooser, then a language from it.
        page.goto(site_url)
        page.click('a[hreflang="pt-BR"]')
        page.wait_for_url(f"{site_url}pt_BR/")
        assert page.text_content("h1") == "Artigos"
    finally:
        page.close()


def test_keyboard_users_get_a_visible_skip_link_and_focus_ring(browser: object, site_url: str) -> None:
    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    try:
        page.goto(f"{site_url}de/calm-mornings/")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
            " const s = getComputedStyle(e);"
            " return [e.className, r.top >= 0 && r.bottom <= innerHeight, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert focused == ["skip-link", True, "solid", "3px"]
        page.screenshot(path=str(SCREENSHOTS / "site-de-skip-link-375.png"))
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        page.close()
