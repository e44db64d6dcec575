"""A reader searches from the header, sees highlighted results and reaches an essay; the
results and no-results pages have no accessibility violations on a phone or a desktop.
"""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORTS

pytestmark = pytest.mark.browser

QUERY = "co-operative"
# The demo essays whose standfirsts say "Co-operative", best match first or second.
MATCHING_ESSAYS = {"The new wave of mutuality", "Mutual councils as antidotes to populism"}


def search_box(page: Page):
    return page.get_by_role("search").first.get_by_role(
        "searchbox", name="Search essays and series"
    )


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
def test_reader_searches_from_the_header_and_reaches_an_essay(
    new_context, demo_content, screenshots_dir, viewport_name
):
    viewport = VIEWPORTS[viewport_name]
    page = new_context(viewport=viewport).new_page()
    page.goto("/")

    box = search_box(page)
    expect(box).to_be_visible()
    box.fill(QUERY)
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=co-operative$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.locator(".search-count")).to_have_text(
        re.compile(r"^\d+ results? for “co-operative”$")
    )
    results = page.locator(".search-result")
    expect(results.first).to_be_visible()
    marks = results.first.locator(".search-result__snippet mark")
    expect(marks.first).to_be_visible()
    # PostgreSQL marks a hyphenated word part by part: <mark>Co</mark>-<mark>operative</mark>.
    marked = {text.strip().lower() for text in marks.all_inner_texts()}
    assert marked, "no <mark> in the first result's snippet"
    assert marked <= {"co", "operative", "co-operative"}, marked
    expect(results.first.locator(".search-result__snippet")).to_contain_text(
        re.compile(r"co-operative", re.I)
    )
    titles = set(results.locator(".card__title").all_inner_texts())
    assert titles >= MATCHING_ESSAYS, titles
    page.screenshot(
        path=screenshots_dir / f"search-from-header-{viewport['width']}.png", full_page=True
    )

    first = results.first.locator(".card__title a")
    title = first.inner_text()
    href = first.get_attribute("href")
    assert href.startswith("/essays/"), href
    first.click()

    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article.essay")).to_be_visible()


CASES = {
    "results": (QUERY, True),
    "no-results": ("zzzqqq nothing matches", False),
}


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
@pytest.mark.parametrize("case", CASES)
def test_search_pages_have_no_accessibility_violations(
    new_context, demo_content, screenshots_dir, axe, case, viewport_name
):
    query, has_results = CASES[case]
    viewport = VIEWPORTS[viewport_name]
    page = new_context(viewport=viewport).new_page()

    response = page.goto(f"/search/?q={quote(query)}")

    assert response.status == 200
    if has_results:
        expect(page.locator(".search-result mark").first).to_be_visible()
    else:
        expect(page.locator(".search-count")).to_have_text(re.compile(r"^0 results for"))
        suggestions = page.get_by_role("list", name="Suggested topics").get_by_role("link")
        expect(suggestions.first).to_be_visible()
        assert all(
            re.fullmatch(r"/topics/[\w-]+/", href or "")
            for href in suggestions.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        )
    page.screenshot(path=screenshots_dir / f"search-{case}-{viewport['width']}.png", full_page=True)

    results = axe.run(page)

    assert results.violations_count == 0, (
        f"axe found {results.violations_count} violation(s) on the {case} search page at "
        f"{viewport['width']}px:\n" + results.generate_report()
    )
