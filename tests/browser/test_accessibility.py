"""axe-core finds no accessibility violations on any public page type, on a phone or a desktop.

Each page is also saved as a full-page screenshot under var/screenshots/ for people to look at.
"""

import pytest

from tests.browser.conftest import MUTUALISM_SLUG, VIEWPORTS

pytestmark = pytest.mark.browser

PAGES = {
    "home": ("/", 200),
    "ideas": ("/ideas/", 200),
    "series": (f"/series/{MUTUALISM_SLUG}/", 200),
    "essay": ("/essays/investing-in-the-mutualisation-of-public-services/", 200),
    "author": ("/authors/richard-todd/", 200),
    "topic": ("/topics/co-operatives/", 200),
    "404": ("/no-such-page/", 404),
}


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
@pytest.mark.parametrize("page_name", PAGES)
def test_page_has_no_accessibility_violations(
    new_context, demo_content, screenshots_dir, axe, page_name, viewport_name
):
    path, status = PAGES[page_name]
    viewport = VIEWPORTS[viewport_name]
    page = new_context(viewport=viewport).new_page()
    response = page.goto(path)
    assert response.status == status, path
    page.screenshot(path=screenshots_dir / f"{page_name}-{viewport['width']}.png", full_page=True)

    results = axe.run(page)

    assert results.violations_count == 0, (
        f"axe found {results.violations_count} violation(s) on {path} at {viewport['width']}px:\n"
        + results.generate_report()
    )
