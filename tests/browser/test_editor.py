"""An editor writes, bylines and publishes essays in the admin, and schedules one."""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from essays.models import Essay
from series.models import Status
from tests.browser.conftest import (
    MUTUALISM_TITLE,
    choose_autocomplete,
    log_in,
    rich_text_editor,
    save_admin_form,
    type_rich_text,
)

pytestmark = pytest.mark.browser

SCHEDULE_AHEAD = dt.timedelta(seconds=12)
APPEAR_WITHIN_SECONDS = 30


def add_author(page, name, role):
    page.goto("/admin/essays/author/add/")
    # Typed key by key, as a person would: the admin fills the slug in from the name.
    page.locator("#id_name").press_sequentially(name)
    expect(page.locator("#id_slug")).to_have_value(re.sub(r"\W+", "-", name.lower()))
    page.locator("#id_role").fill(role)
    save_admin_form(page)


def start_essay(page, title, standfirst, *body):
    page.goto("/admin/essays/essay/add/")
    page.locator("#id_title").press_sequentially(title)
    page.locator("#id_standfirst").fill(standfirst)
    type_rich_text(page, "body", *body)


def test_editor_adds_an_author_and_publishes_a_co_written_essay_in_a_series(
    page, new_context, editor, demo_content
):
    log_in(page, editor)
    add_author(page, "Zadie Quill", "Senior Fellow, Policy Network")

    start_essay(
        page,
        "Mutual aid in the age of platforms",
        "Platform co-operatives could give workers a stake in the apps they work for.",
        "Gig workers are organising their own platforms.",
        "This paragraph was typed into the editor by a browser.",
    )
    expect(page.locator("#id_slug")).to_have_value("mutual-aid-in-the-age-of-platforms")
    choose_autocomplete(page, "id_bylines-0-author", "Quill", "Zadie Quill")
    page.locator("#id_bylines-0-position").fill("1")
    choose_autocomplete(page, "id_bylines-1-author", "Williams", "Ben Williams")
    page.locator("#id_bylines-1-position").fill("2")
    choose_autocomplete(page, "id_series", "Mutualism", MUTUALISM_TITLE)
    page.locator("#id_series_position").fill("9")
    page.locator("#id_status").select_option(Status.PUBLISHED)
    save_admin_form(page)

    essay = Essay.objects.get(slug="mutual-aid-in-the-age-of-platforms")
    assert essay.status == Status.PUBLISHED
    assert essay.is_published

    reader = new_context().new_page()
    response = reader.goto("/essays/mutual-aid-in-the-age-of-platforms/")
    assert response.status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text(
        "Mutual aid in the age of platforms"
    )
    expect(reader.locator(".essay__header .standfirst")).to_have_text(
        "Platform co-operatives could give workers a stake in the apps they work for."
    )
    expect(reader.locator(".essay__header .byline")).to_have_text("By Zadie Quill & Ben Williams")
    expect(reader.locator(".essay__header .kicker")).to_have_text(
        f"{MUTUALISM_TITLE} · Part 9 of 9"
    )
    expect(reader.locator(".prose p")).to_have_text(
        [
            "Gig workers are organising their own platforms.",
            "This paragraph was typed into the editor by a browser.",
        ]
    )
    reader.locator(".essay__header .byline").get_by_role("link", name="Zadie Quill").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Zadie Quill")
    expect(reader.locator(".author-header .lede")).to_have_text("Senior Fellow, Policy Network")


def test_scheduled_essay_appears_by_itself_when_its_time_comes(
    page, new_context, editor, demo_content
):
    log_in(page, editor)
    start_essay(page, "A scheduled essay", "Published by the clock.", "Wait for it.")
    choose_autocomplete(page, "id_bylines-0-author", "Murray", "Robin Murray")
    page.locator("#id_status").select_option(Status.PUBLISHED)
    publish_at = timezone.localtime(timezone.now() + SCHEDULE_AHEAD).replace(microsecond=0)
    page.locator("#id_published_at_0").fill(publish_at.strftime("%d/%m/%Y"))
    page.locator("#id_published_at_1").fill(publish_at.strftime("%H:%M:%S"))
    save_admin_form(page)

    essay = Essay.objects.get(slug="a-scheduled-essay")
    assert essay.published_at == publish_at
    assert essay.is_scheduled, "saving took so long that the essay is no longer in the future"

    reader = new_context().new_page()
    assert reader.goto("/essays/a-scheduled-essay/").status == 404

    deadline = time.monotonic() + APPEAR_WITHIN_SECONDS
    status = 404
    while status == 404 and time.monotonic() < deadline:
        reader.wait_for_timeout(1000)
        status = reader.goto("/essays/a-scheduled-essay/").status
    assert status == 200, f"the scheduled essay had not appeared {APPEAR_WITHIN_SECONDS}s later"
    assert timezone.now() >= publish_at
    expect(reader.get_by_role("heading", level=1)).to_have_text("A scheduled essay")
    expect(reader.locator(".draft-banner")).to_have_count(0)


def test_essay_form_raises_no_content_security_policy_violations(page, editor):
    log_in(page, editor)
    messages = []
    page.on("console", lambda message: messages.append(message.text))

    page.goto("/admin/essays/essay/add/")
    expect(rich_text_editor(page, "body")).to_be_visible()
    page.wait_for_load_state("networkidle")

    violations = [text for text in messages if "Content Security Policy" in text]
    assert violations == [], "\n".join(violations)
