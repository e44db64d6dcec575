"""A contributor writes drafts in the admin but has no way to publish them, even by forging."""

import pytest
from playwright.sync_api import Page, expect

from essays.models import Essay
from series.models import Status
from tests.browser.conftest import choose_autocomplete, log_in, save_admin_form, type_rich_text
from tests.factories import AuthorFactory

pytestmark = pytest.mark.browser

FORGED_PUBLISHING = {
    "status": Status.PUBLISHED,
    "published_at_0": "01/01/2020",
    "published_at_1": "09:00:00",
}


@pytest.fixture
def author(transactional_db):
    return AuthorFactory(name="Robin Murray", slug="robin-murray")


def write_draft(page: Page, title: str) -> Essay:
    page.goto("/admin/essays/essay/add/")
    page.locator("#id_title").press_sequentially(title)
    page.locator("#id_standfirst").fill("A contributor's first draft.")
    type_rich_text(page, "body", "Not ready for readers yet.")
    choose_autocomplete(page, "id_bylines-0-author", "Murray", "Robin Murray")
    save_admin_form(page)
    return Essay.objects.get(title=title)


def forge_post_with_publishing_fields(page: Page, **changes):
    """POST the form on `page` as the browser would, with `changes` and the publishing fields.

    The CSRF token comes from the form and the session cookie from the browser context.
    """
    form = page.locator("#essay_form")
    fields = form.evaluate("form => Object.fromEntries(new FormData(form).entries())")
    assert fields["csrfmiddlewaretoken"]
    # FormData carries file inputs as File objects; nothing is uploaded here.
    fields = {name: value for name, value in fields.items() if isinstance(value, str)}
    return page.request.post(
        page.url, form=fields | changes | FORGED_PUBLISHING, headers={"Referer": page.url}
    )


def expect_not_public(new_context, essay: Essay):
    reader = new_context().new_page()
    assert reader.goto(essay.get_absolute_url()).status == 404


def test_contributor_saves_a_draft_and_the_form_offers_no_way_to_publish(
    page, new_context, contributor, author
):
    log_in(page, contributor)

    essay = write_draft(page, "A contributor's draft")

    assert essay.status == Status.DRAFT
    assert essay.published_at is None
    assert [byline.author for byline in essay.bylines.all()] == [author]
    page.goto(f"/admin/essays/essay/{essay.pk}/change/")
    expect(page.locator("#essay_form")).to_be_visible()
    expect(page.locator("#essay_form [name=status]")).to_have_count(0)
    expect(page.locator("#essay_form [name^=published_at]")).to_have_count(0)
    expect(page.locator("#essay_form .field-status .readonly")).to_have_text("Draft")
    expect_not_public(new_context, essay)


def test_contributor_gets_no_publish_action_on_the_essay_list(page, contributor, author):
    log_in(page, contributor)
    write_draft(page, "A contributor's draft")

    page.goto("/admin/essays/essay/")
    expect(page.get_by_role("link", name="A contributor's draft")).to_be_visible()
    expect(page.locator("select[name=action] option[value=publish]")).to_have_count(0)
    expect(page.locator("select[name=action] option[value=unpublish]")).to_have_count(0)
    expect(page.get_by_text("Publish selected essays")).to_have_count(0)


def test_contributor_cannot_publish_by_forging_the_change_form(
    page, new_context, contributor, author
):
    log_in(page, contributor)
    essay = write_draft(page, "A contributor's draft")

    page.goto(f"/admin/essays/essay/{essay.pk}/change/")
    response = forge_post_with_publishing_fields(page, title="A contributor's revised draft")

    assert response.ok
    assert response.url.endswith("/admin/essays/essay/"), "the form was not accepted"
    essay.refresh_from_db()
    assert essay.title == "A contributor's revised draft"
    assert essay.status == Status.DRAFT
    assert essay.published_at is None
    assert not Essay.objects.published().filter(pk=essay.pk).exists()
    expect_not_public(new_context, essay)


def test_contributor_cannot_publish_by_forging_the_add_form(page, new_context, contributor, author):
    log_in(page, contributor)
    page.goto("/admin/essays/essay/add/")
    page.locator("#id_title").press_sequentially("A forged essay")
    page.locator("#id_standfirst").fill("Trying to skip the editor.")
    choose_autocomplete(page, "id_bylines-0-author", "Murray", "Robin Murray")

    response = forge_post_with_publishing_fields(page)

    assert response.ok
    assert response.url.endswith("/admin/essays/essay/"), "the form was not accepted"
    essay = Essay.objects.get(title="A forged essay")
    assert essay.status == Status.DRAFT
    assert essay.published_at is None
    assert not Essay.objects.published().exists()
    expect_not_public(new_context, essay)
