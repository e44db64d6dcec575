"""The reader's journey: sign up, confirm from the email, get a welcome email, unsubscribe."""

import re
import time
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from newsletter import emails
from newsletter.consent import CONSENT_VERSION, CONSENT_WORDING
from newsletter.models import ConsentRecord, Subscriber
from series.models import SiteSettings
from tests.mail import CONFIRM_LINK, UNSUBSCRIBE_LINK
from tests.newsletter.helpers import SITE_URL, path_of, signup_data

pytestmark = pytest.mark.django_db

READER_IP = "203.0.113.57"


def sign_up(client, address, **overrides):
    return client.post(
        reverse("newsletter:signup"), signup_data(address, **overrides), REMOTE_ADDR=READER_IP
    )


@pytest.fixture
def confirmation(client, smtp_server, run_worker):
    """Sign up through the form and return the confirmation email as it arrived."""
    sign_up(client, "  Ann.Reader@Example.org ", name="Ann Reader")
    run_worker()
    [message] = smtp_server.messages
    return message


@pytest.fixture
def welcome(client, confirmation, smtp_server, run_worker):
    """Confirm through the emailed link and return the welcome email as it arrived."""
    client.post(path_of(confirmation.confirm_url()))
    run_worker()
    [_, message] = smtp_server.messages
    return message


def test_signup_redirects_to_check_your_inbox_and_records_subscriber_and_consent(client):
    response = sign_up(client, "  Ann.Reader@Example.org ", name="Ann Reader")

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:check_inbox")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Check your inbox" in page.content.decode()

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ann.reader@example.org"
    assert subscriber.name == "Ann Reader"
    assert subscriber.status == Subscriber.Status.PENDING
    consent = ConsentRecord.objects.get(subscriber=subscriber)
    assert consent.wording == CONSENT_WORDING
    assert consent.wording_version == CONSENT_VERSION
    assert consent.source_url == "/essays/the-new-wave-of-mutuality/"
    assert consent.submitted_at is not None
    assert consent.confirmed_at is None
    assert consent.withdrawn_at is None
    assert consent.ip_hash
    assert consent.ip_hash != READER_IP
    assert READER_IP not in consent.ip_hash
    assert "203.0.113" not in consent.ip_hash


def test_signup_sends_nothing_until_the_worker_runs(client, smtp_server):
    sign_up(client, "ann@example.org")

    assert smtp_server.messages == []


def test_confirmation_email_arrives_over_smtp_in_the_sites_name_with_plain_and_html_parts(
    confirmation,
):
    message = confirmation.message
    assert confirmation.envelope_to == ["ann.reader@example.org"]
    assert message["To"].addresses[0].addr_spec == "ann.reader@example.org"
    assert message["From"].addresses[0].display_name == "Policy Network"
    assert "Policy Network" in message["Subject"]
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    assert "Ann Reader" in confirmation.text

    url = confirmation.confirm_url()
    assert url.startswith(f"{SITE_URL}/newsletter/confirm/")
    assert confirmation.link(CONFIRM_LINK, part="html") == url
    # Nothing to unsubscribe from before confirming.
    assert "List-Unsubscribe" not in message


def test_confirmation_email_has_a_stable_message_id(confirmation):
    subscriber = Subscriber.objects.get()
    message_id = confirmation.message_id

    assert message_id.startswith("<")
    assert message_id.endswith("@www.policy-network.example>")
    # Building the same email again (as a retry does) gives the same Message-ID.
    assert emails.confirmation_message(subscriber).extra_headers["Message-ID"] == message_id


def test_get_on_confirmation_link_shows_a_button_and_changes_nothing(
    client, confirmation, smtp_server, run_worker
):
    response = client.get(path_of(confirmation.confirm_url()))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Confirm my subscription</button>" in page
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None
    assert subscriber.consents.get().confirmed_at is None
    run_worker()
    assert len(smtp_server.messages) == 1  # no welcome email


def test_post_on_confirmation_link_confirms_and_lands_on_welcome_page(client, confirmation):
    response = client.post(path_of(confirmation.confirm_url()))

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:welcome")
    assert "subscribed" in client.get(response["Location"]).content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert subscriber.consents.get().confirmed_at == subscriber.confirmed_at


def test_confirming_sends_one_welcome_email_with_unsubscribe_link_and_rfc8058_headers(welcome):
    message = welcome.message
    assert welcome.envelope_to == ["ann.reader@example.org"]
    assert message["From"].addresses[0].display_name == "Policy Network"
    assert "Welcome" in message["Subject"]
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None

    url = welcome.unsubscribe_url()
    assert url.startswith(f"{SITE_URL}/newsletter/unsubscribe/")
    assert welcome.link(UNSUBSCRIBE_LINK, part="html") == url
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome.message_id.endswith("@www.policy-network.example>")


def test_get_on_unsubscribe_link_shows_a_button_and_changes_nothing(client, welcome):
    response = client.get(path_of(welcome.unsubscribe_url()))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Unsubscribe</button>" in page
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consents.get().withdrawn_at is None


def test_post_on_unsubscribe_link_unsubscribes_and_withdraws_consent(client, welcome):
    response = client.post(path_of(welcome.unsubscribe_url()))

    assert response.status_code == 200
    assert "You have been unsubscribed" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert subscriber.consents.get().withdrawn_at == subscriber.unsubscribed_at


def test_unsubscribing_twice_is_harmless(client, welcome):
    path = path_of(welcome.unsubscribe_url())
    client.post(path)
    first = Subscriber.objects.get().unsubscribed_at

    response = client.post(path)

    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at == first


def test_one_click_unsubscribe_works_without_cookies_or_csrf_token(welcome):
    mail_client = Client(enforce_csrf_checks=True)  # a mailbox provider: no cookies, no token

    response = mail_client.post(
        path_of(welcome.unsubscribe_url()),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.consents.get().withdrawn_at is not None


def test_unsubscribe_link_keeps_working_years_later(client, welcome, monkeypatch):
    ten_years = 10 * 365 * 86400
    real_time = time.time
    # Only the signing module's clock moves: the token is read as if ten years had passed.
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: real_time() + ten_years))
    path = path_of(welcome.unsubscribe_url())

    assert client.get(path).status_code == 200
    response = client.post(path)

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_emails_are_sent_in_the_name_staff_give_the_site(client, smtp_server, run_worker):
    site = SiteSettings.load()
    site.name = "Policy Network Europe"
    site.save()

    sign_up(client, "ann@example.org")
    run_worker()

    [confirmation] = smtp_server.messages
    assert confirmation.message["From"].addresses[0].display_name == "Policy Network Europe"
    assert "Policy Network Europe" in confirmation.message["Subject"]
    assert "Policy Network Europe" in confirmation.text
    assert "Policy Network Europe" in confirmation.html


def test_html_email_escapes_what_the_reader_typed(client, smtp_server, run_worker):
    sign_up(client, "ann@example.org", name='<img src=x onerror="alert(1)">')
    run_worker()

    [confirmation] = smtp_server.messages
    assert "<img src=x" not in confirmation.html
    assert "&lt;img src=x" in confirmation.html


def test_confirm_button_works_for_a_browser_with_csrf_checks(confirmation):
    browser = Client(enforce_csrf_checks=True)
    path = path_of(confirmation.confirm_url())
    page = browser.get(path).content.decode()
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(path, {"csrfmiddlewaretoken": csrf_token})

    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_emails_travel_over_real_smtp_not_the_test_outbox(confirmation):
    assert mail.outbox == []
    assert confirmation.message["Subject"]
