"""A reader finds the Mutualism series from the home page and reads through it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import MUTUALISM_ESSAYS, MUTUALISM_SLUG, MUTUALISM_TITLE

pytestmark = pytest.mark.browser

LAST_TITLE = "Investing in the mutualisation of public services"
SECOND_TO_LAST_TITLE = "Mutual councils as antidotes to populism"


def expect_breadcrumbs(page: Page, *crumbs: str):
    """Check the breadcrumb trail: Home, then `crumbs`, the last marked as the current page."""
    trail = page.get_by_role("navigation", name="Breadcrumb").get_by_role("listitem")
    expect(trail).to_have_text(["Home", *crumbs])
    expect(trail.last.locator("[aria-current=page]")).to_have_text(crumbs[-1])


def expect_heading(page: Page, text: str):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def read_through_the_series(page: Page):
    page.goto("/")
    expect_heading(page, "Policy Network")
    expect(
        page.get_by_text("Register for all the latest updates in our regular newsletter")
    ).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ideas & Debate").click()
    expect(page).to_have_url(re.compile(r"/ideas/$"))
    expect_heading(page, "Ideas & Debate")
    expect_breadcrumbs(page, "Ideas & Debate")
    main_nav_current = page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
    expect(main_nav_current).to_have_text("Ideas & Debate")

    page.get_by_role("main").get_by_role("link", name=MUTUALISM_TITLE).first.click()
    expect(page).to_have_url(re.compile(f"/series/{MUTUALISM_SLUG}/$"))
    expect_heading(page, MUTUALISM_TITLE)
    expect_breadcrumbs(page, "Ideas & Debate", MUTUALISM_TITLE)
    parts = page.locator(".series-essays__list > li")
    expect(parts.locator(".card__title")).to_have_text([title for title, _ in MUTUALISM_ESSAYS])
    expect(parts.last.locator(".byline")).to_have_text("By Richard Todd & Ben Williams")
    expect(parts.first.locator(".byline")).to_have_text("By Robin Murray")

    parts.last.get_by_role("link", name=LAST_TITLE).click()
    expect_heading(page, LAST_TITLE)
    expect_breadcrumbs(page, "Ideas & Debate", MUTUALISM_TITLE, LAST_TITLE)
    header = page.locator(".essay__header")
    expect(header.locator(".kicker")).to_have_text(f"{MUTUALISM_TITLE} · Part 8 of 8")
    expect(header.locator(".byline")).to_have_text("By Richard Todd & Ben Williams")
    series_nav = page.get_by_role("navigation", name="More in this series")
    expect(series_nav).to_contain_text("Part 8 of 8")
    expect(series_nav.locator("a[rel=next]")).to_have_count(0)

    series_nav.locator("a[rel=prev]").click()
    expect_heading(page, SECOND_TO_LAST_TITLE)
    expect(page.locator(".essay__header .kicker")).to_contain_text("Part 7 of 8")
    expect(page.locator(".essay__header .byline")).to_have_text("By Martien Kuitenbrouwer")

    page.get_by_role("navigation", name="More in this series").locator("a[rel=next]").click()
    expect_heading(page, LAST_TITLE)
    expect(page.locator(".essay__header .kicker")).to_contain_text("Part 8 of 8")

    page.locator(".essay__header .byline").get_by_role("link", name="Ben Williams").click()
    expect(page).to_have_url(re.compile(r"/authors/ben-williams/$"))
    expect_heading(page, "Ben Williams")
    essays = page.get_by_role("region", name="Essays by Ben Williams")
    expect(essays.locator(".card__title")).to_have_text([LAST_TITLE])


def test_reader_goes_from_home_through_series_and_essays_to_an_author(page, demo_content):
    read_through_the_series(page)


def test_reader_path_works_without_javascript(new_context, demo_content):
    page = new_context(java_script_enabled=False).new_page()
    read_through_the_series(page)


def test_first_essay_of_a_series_links_forward_only(page, demo_content):
    page.goto("/essays/the-new-wave-of-mutuality/")
    expect(page.locator(".essay__header .kicker")).to_contain_text("Part 1 of 8")
    series_nav = page.get_by_role("navigation", name="More in this series")
    expect(series_nav.locator("a[rel=prev]")).to_have_count(0)
    series_nav.locator("a[rel=next]").click()
    expect_heading(page, MUTUALISM_ESSAYS[1][0])
    expect(page.locator(".essay__header .kicker")).to_contain_text("Part 2 of 8")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/series/{MUTUALISM_SLUG}/",
        "/essays/investing-in-the-mutualisation-of-public-services/",
    ],
    ids=["home", "series", "essay"],
)
def test_page_fits_a_320px_screen_without_horizontal_scrolling(new_context, demo_content, path):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(path)
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], (
        f"{path} scrolls sideways at 320px: content is {widths['scroll']}px wide "
        f"in a {widths['client']}px viewport"
    )
