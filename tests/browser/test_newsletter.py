"""The newsletter in a real browser, with a real SMTP server on loopback.

A reader signs up from an essay page's footer, opens the confirmation link from the email
that arrives over SMTP, confirms, then unsubscribes through the link in the welcome email.
Errors are shown beside their fields without JavaScript, and axe-core finds no violations
on any newsletter page, on a phone or a desktop (screenshots go to var/screenshots/).

Django's test environment swaps every MAILERS alias for the locmem backend when the session
starts; the `settings` fixture's override comes later and is read again on every send, so
the emails below really travel over SMTP to aiosmtpd.
"""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from newsletter import tokens
from newsletter.consent import CONSENT_WORDING
from newsletter.models import Subscriber
from tests.browser.conftest import VIEWPORTS

pytestmark = pytest.mark.browser

ESSAY_PATH = "/essays/investing-in-the-mutualisation-of-public-services/"
EMAIL_ERROR = "Enter a valid email address, like name@example.org."
CONSENT_ERROR = "Tick the box to agree to receive the newsletter."


# --- The real SMTP server (tests/mail.py, via tests/conftest.py) --------------------------


@pytest.fixture
def mailbox(smtp_server, settings, live_server):
    """The SMTP server on loopback, with links in emails pointing at the live server."""
    settings.SITE_URL = live_server.url
    return smtp_server


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The sign-up rate limit counts per IP in the cache, which outlives each test: reset it."""
    cache.clear()
    yield
    cache.clear()


def expect_heading(page: Page, text: str):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


# --- 1. The reader's path ---------------------------------------------------------------


def test_reader_signs_up_from_an_essay_confirms_and_unsubscribes(
    page, demo_content, mailbox, run_worker, live_server
):
    address = "ann.reader@example.org"
    page.goto(ESSAY_PATH)
    signup = page.get_by_role("complementary", name="Newsletter")
    expect(signup).to_contain_text("Register for all the latest updates in our regular newsletter")
    signup.get_by_label("Email address").fill("  Ann.Reader@Example.org ")
    signup.get_by_label("Name (optional)").fill("Ann Reader")
    signup.get_by_label(CONSENT_WORDING).check()
    signup.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/newsletter/check-your-inbox/$"))
    expect_heading(page, "Check your inbox")
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.name) == (address, "Ann Reader")
    assert subscriber.status == Subscriber.Status.PENDING
    consent = subscriber.consents.get()
    assert (consent.wording, consent.source_url) == (CONSENT_WORDING, ESSAY_PATH)
    assert mailbox.to(address) == [], "the email goes out from the worker, not the request"

    # The confirmation email, as it arrived over SMTP.
    run_worker()
    (confirmation,) = mailbox.to(address)
    assert confirmation.message["To"] == address
    assert "Confirm your subscription" in confirmation.message["Subject"]
    assert confirmation.message["List-Unsubscribe"] is None, "not subscribed yet: nothing to leave"
    confirm_url = confirmation.confirm_url()
    assert confirm_url.startswith(f"{live_server.url}/newsletter/confirm/")
    assert confirm_url in confirmation.html

    # Opening the link changes nothing: only the button confirms.
    response = page.goto(confirm_url)
    assert response.status == 200
    expect_heading(page, "Confirm your subscription")
    expect(page.get_by_role("main")).to_contain_text(address)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None

    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page).to_have_url(re.compile(r"/newsletter/welcome/$"))
    expect_heading(page, "You're subscribed")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consents.get().confirmed_at is not None

    # The welcome email carries the RFC 8058 headers and the same link in its text.
    run_worker()
    welcome = next(m for m in mailbox.to(address) if "Welcome" in m.message["Subject"])
    assert len(mailbox.to(address)) == 2
    unsubscribe_url = welcome.unsubscribe_url()
    assert unsubscribe_url.startswith(f"{live_server.url}/newsletter/unsubscribe/")
    assert welcome.message["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert welcome.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    response = page.goto(unsubscribe_url)
    assert response.status == 200
    expect_heading(page, "Unsubscribe")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED, "a GET on the link changes nothing"

    page.get_by_role("button", name="Unsubscribe").click()
    expect_heading(page, "You have been unsubscribed")
    expect(page.get_by_role("main")).to_contain_text(address)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert subscriber.consents.get().withdrawn_at is not None


# --- 2. Errors beside their fields, without JavaScript ----------------------------------


def test_signup_errors_are_shown_beside_the_fields_without_javascript(
    new_context, transactional_db
):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/newsletter/")
    form = page.get_by_role("main").locator("form.signup-form")
    form.get_by_label("Email address").fill("ann.example.org")
    form.get_by_label("Name (optional)").fill("Ann Reader")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Sign up").click()
    assert answer.value.status == 400

    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")

    email_input = form.get_by_label("Email address")
    consent_input = form.get_by_label(CONSENT_WORDING)
    for field_input, message in ((email_input, EMAIL_ERROR), (consent_input, CONSENT_ERROR)):
        expect(field_input).to_have_attribute("aria-invalid", "true")
        expect(field_input).to_have_accessible_description(message)
        error_id = field_input.get_attribute("aria-describedby")
        assert error_id, "the input must point at its error"
        error = page.locator(f"[id='{error_id}']")
        expect(error).to_have_text(message)
        # Beside the field: in the same field container as the input.
        input_id = field_input.get_attribute("id")
        beside = form.locator(f".field:has([id='{input_id}']) > [id='{error_id}']")
        expect(beside).to_be_visible()

    name_input = form.get_by_label("Name (optional)")
    expect(name_input).not_to_have_attribute("aria-invalid", "true")
    expect(email_input).to_have_value("ann.example.org")
    expect(name_input).to_have_value("Ann Reader")
    expect(consent_input).not_to_be_checked()
    assert not Subscriber.objects.exists()


# --- 3. axe-core on every newsletter page ------------------------------------------------


def _confirmed_subscriber(address):
    return Subscriber.objects.create(
        email=address, status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now()
    )


def open_signup(page: Page):
    assert page.goto("/newsletter/").status == 200
    return "Newsletter"


def open_signup_with_errors(page: Page):
    page.goto("/newsletter/")
    form = page.get_by_role("main").locator("form.signup-form")
    form.get_by_label("Email address").fill("not-an-address")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Sign up").click()
    assert answer.value.status == 400
    expect(form.get_by_text(EMAIL_ERROR)).to_be_visible()
    expect(form.get_by_text(CONSENT_ERROR)).to_be_visible()
    return "Newsletter"


def open_check_inbox(page: Page):
    page.goto("/newsletter/")
    form = page.get_by_role("main").locator("form.signup-form")
    form.get_by_label("Email address").fill("check@example.org")
    form.get_by_label(CONSENT_WORDING).check()
    form.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/newsletter/check-your-inbox/$"))
    return "Check your inbox"


def open_confirm(page: Page):
    subscriber = Subscriber.objects.create(email="pending@example.org")
    token = tokens.make_confirmation_token(subscriber)
    assert page.goto(f"/newsletter/confirm/{token}/").status == 200
    return "Confirm your subscription"


def open_welcome(page: Page):
    open_confirm(page)
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page).to_have_url(re.compile(r"/newsletter/welcome/$"))
    return "You're subscribed"


def open_unsubscribe(page: Page):
    token = tokens.make_unsubscribe_token(_confirmed_subscriber("leaving@example.org"))
    assert page.goto(f"/newsletter/unsubscribe/{token}/").status == 200
    return "Unsubscribe"


def open_unsubscribed(page: Page):
    open_unsubscribe(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect_heading(page, "You have been unsubscribed")
    return "You have been unsubscribed"


def open_invalid_link(page: Page):
    token = tokens.make_confirmation_token(Subscriber.objects.create(email="typo@example.org"))
    # Change the payload's first character: the signature no longer matches.
    tampered = ("B" if token[0] == "A" else "A") + token[1:]
    assert page.goto(f"/newsletter/confirm/{tampered}/").status == 400
    return "This link is not valid"


PAGES = {
    "signup": open_signup,
    "signup-errors": open_signup_with_errors,
    "check-inbox": open_check_inbox,
    "confirm": open_confirm,
    "welcome": open_welcome,
    "unsubscribe": open_unsubscribe,
    "unsubscribed": open_unsubscribed,
    "invalid-link": open_invalid_link,
}


@pytest.mark.parametrize("viewport_name", VIEWPORTS)
@pytest.mark.parametrize("page_name", PAGES)
def test_newsletter_page_has_no_accessibility_violations(
    new_context, demo_content, screenshots_dir, axe, page_name, viewport_name
):
    viewport = VIEWPORTS[viewport_name]
    page = new_context(viewport=viewport).new_page()
    heading = PAGES[page_name](page)
    expect_heading(page, heading)
    page.screenshot(
        path=screenshots_dir / f"newsletter-{page_name}-{viewport['width']}.png", full_page=True
    )

    results = axe.run(page)

    assert results.violations_count == 0, (
        f"axe found {results.violations_count} violation(s) on the {page_name} page "
        f"({page.url}) at {viewport['width']}px:\n" + results.generate_report()
    )
