"""The built emails in a real browser: Debian's headless Chromium driven by Playwright.

Opens ``email.html`` of each locale at 375 px (a phone) and 600 px (the desktop width of the
email), checks that nothing scrolls sideways, that the content is one column on the phone and
600 px wide on the desktop, that Arabic is laid out right to left, and saves screenshots under
``build/screenshots/newsletter-<locale>-<width>.png`` for review. Never runs
``playwright install``: it uses /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pubflow.newsletter import NewsletterReport

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


LAYOUT = """() => {
  const box = (el) => el.getBoundingClientRect();
  const sections = [...document.querySelectorAll('body > div > div')].map(box);
  const columns = [...document.querySelectorAll('.mj-column-per-50')].slice(0, 2).map(box);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    widest: Math.max(...sections.map((b) => b.right)),
    contentWidth: Math.max(...sections.map((b) => b.width)),
    columns: columns.map((b) => [Math.round(b.left), Math.round(b.top), Math.round(b.width)]),
    dir: document.documentElement.dir,
    images: [...document.images].filter((img) => !img.complete || img.naturalWidth === 0).length,
  };
}"""


@pytest.mark.parametrize(("locale", "direction"), [("en", "ltr"), ("de", "ltr"), ("ar", "rtl"), ("en_XA", "ltr")])
@pytest.mark.parametrize("width", [375, 600])
def test_email_html_fits_phone_and_desktop_without_sideways_scrolling(
    browser: object, built_issue: NewsletterReport, locale: str, direction: str, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    try:
        # Offline: nothing may be fetched (the HTML has no external resources to begin with).
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
        page.goto((built_issue.out_dir / locale / "email.html").as_uri())
        layout = page.evaluate(LAYOUT)
        assert layout["dir"] == direction
        assert layout["scrollWidth"] <= layout["innerWidth"], layout
        assert layout["widest"] <= width + 0.5, layout
        assert layout["images"] == 0  # no broken image
        first, second = layout["columns"]
        if width == 375:
            # One column: related cards stack, each as wide as the other, one below the other.
            assert first[0] == second[0] and second[1] > first[1] and first[2] >= 300, layout
        else:
            assert layout["contentWidth"] == 600, layout
            # Two columns side by side; right to left in Arabic (the first card on the right).
            assert first[1] == second[1], layout
            assert (first[0] > second[0]) == (direction == "rtl"), layout
        page.screenshot(path=str(SCREENSHOTS / f"newsletter-{locale}-{width}.png"), full_page=True)
    finally:
        page.close()


def test_archive_copy_fits_a_phone(browser: object, built_issue: NewsletterReport) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 900})  # type: ignore[attr-defined]
    try:
        page.goto(built_issue.result("ar").file("archive").path.as_uri())
        layout = page.evaluate(LAYOUT)
        assert layout["scrollWidth"] <= layout["innerWidth"], layout
        assert page.locator("a", has_text="إلغاء الاشتراك").count() == 0  # no unsubscribe link
        page.screenshot(path=str(SCREENSHOTS / "newsletter-archive-ar-375.png"), full_page=True)
    finally:
        page.close()
