"""Sign-up: the form on every page, no enumeration, resend interval, validation and abuse."""

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from newsletter import services, tokens
from newsletter.consent import CONSENT_WORDING
from newsletter.models import ConsentRecord, Subscriber
from tests.newsletter.helpers import path_of, signup_data

pytestmark = pytest.mark.django_db

SIGNUP = "/newsletter/"
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def sign_up(client, address, ip="198.51.100.7", **overrides):
    return client.post(SIGNUP, signup_data(address, **overrides), REMOTE_ADDR=ip)


def input_tag(page, name):
    [tag] = re.findall(rf'<input\b[^>]*\bname="{name}"[^>]*>', page)
    return tag


def test_signup_page_is_at_newsletter_url():
    assert reverse("newsletter:signup") == SIGNUP


def test_every_page_carries_the_signup_form_with_consent_wording_beside_the_checkbox(client):
    page = client.get(reverse("home")).content.decode()

    assert f'action="{SIGNUP}"' in page
    assert 'method="post"' in page
    checkbox = input_tag(page, "consent")
    assert 'type="checkbox"' in checkbox
    checkbox_id = re.search(r'id="([^"]+)"', checkbox).group(1)
    assert f'<label for="{checkbox_id}">{CONSENT_WORDING}</label>' in page
    assert 'value="/"' in input_tag(page, "source")  # remembers which page it is on


def test_each_page_s_form_remembers_that_page_escaped_though_rendered_once(client):
    # The blank form is rendered once per process; each page puts in its own path.
    essay_page = client.get("/essays/a-missing-essay/").content.decode()
    odd_page = client.get('/topics/"><b>x</b>/').content.decode()

    assert 'value="/essays/a-missing-essay/"' in input_tag(essay_page, "source")
    assert 'value="/topics/&quot;&gt;&lt;b&gt;x&lt;/b&gt;/"' in input_tag(odd_page, "source")
    assert "<b>x</b>" not in odd_page


def test_the_footer_form_is_the_form_django_renders(client, settings):
    settings.DEBUG = False
    cached = client.get("/ideas/").content.decode()
    settings.DEBUG = True  # rendered afresh on every request
    fresh = client.get("/ideas/").content.decode()

    def form(page):
        return re.search(r'<form class="signup-form".*?</form>', page, re.S).group(0)

    assert form(cached) == form(fresh)
    assert 'value="/ideas/"' in input_tag(fresh, "source")


def test_signup_records_the_page_it_came_from_but_never_another_sites_url(client):
    sign_up(client, "ann@example.org", source="/series/mutualism/")
    sign_up(client, "bob@example.org", source="https://evil.example/phish")
    sign_up(client, "cy@example.org", source="//evil.example/phish")

    sources = dict(ConsentRecord.objects.values_list("subscriber__email", "source_url"))
    assert sources == {
        "ann@example.org": "/series/mutualism/",
        "bob@example.org": "",
        "cy@example.org": "",
    }


# No enumeration -------------------------------------------------------------------------


def observable(response, client):
    """Return everything a visitor can see of a sign-up's answer."""
    followed = client.get(response["Location"])
    return {
        "status": response.status_code,
        # Every response has its own request id; it says nothing about the address.
        "headers": {k: v for k, v in response.headers.items() if k != "X-Request-ID"},
        "location": response["Location"],
        "followed_status": followed.status_code,
        "followed_body": CSRF_VALUE.sub(r"\1…\2", followed.content.decode()),
    }


def test_signup_answer_is_identical_whatever_the_address_state(smtp_server, run_worker):
    services.subscribe(email="pending@example.org")
    confirmed = services.subscribe(email="confirmed@example.org").subscriber
    services.confirm(token=tokens.make_confirmation_token(confirmed))
    gone = services.subscribe(email="gone@example.org").subscriber
    services.confirm(token=tokens.make_confirmation_token(gone))
    services.unsubscribe(token=tokens.make_unsubscribe_token(gone))
    run_worker()
    smtp_server.received.clear()

    answers = {}
    for address in (
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "gone@example.org",
    ):
        client = Client()
        answers[address] = observable(sign_up(client, address), client)

    first, *others = answers.values()
    assert first["status"] == 302
    assert first["location"] == reverse("newsletter:check_inbox")
    for other in others:
        assert other == first
    # Behind the identical answers: only the new and the unsubscribed address get an email.
    run_worker()
    assert sorted(smtp_server.per_recipient()) == ["gone@example.org", "new@example.org"]


# Resend interval ------------------------------------------------------------------------


def test_signing_up_again_while_pending_resends_at_most_once_per_interval(
    client, smtp_server, run_worker
):
    assert settings.NEWSLETTER_RESEND_INTERVAL == 10 * 60
    sign_up(client, "ann@example.org")
    sign_up(client, "ann@example.org")
    run_worker()
    assert len(smtp_server.to("ann@example.org")) == 1

    sign_up(client, "ann@example.org")
    run_worker()
    assert len(smtp_server.to("ann@example.org")) == 1

    long_ago = timezone.now() - timedelta(seconds=settings.NEWSLETTER_RESEND_INTERVAL + 1)
    Subscriber.objects.update(confirmation_sent_at=long_ago)
    sign_up(client, "ann@example.org")
    sign_up(client, "ann@example.org", ip="198.51.100.8")
    run_worker()

    _, second = smtp_server.to("ann@example.org")
    assert Subscriber.objects.count() == 1
    assert ConsentRecord.objects.count() == 5  # every sign-up's consent is recorded
    # The resent link confirms.
    assert client.post(path_of(second.confirm_url())).status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_signing_up_again_once_confirmed_sends_nothing(client, smtp_server, run_worker):
    sign_up(client, "ann@example.org")
    run_worker()
    client.post(path_of(smtp_server.messages[0].confirm_url()))
    run_worker()
    assert len(smtp_server.messages) == 2  # confirmation, welcome

    sign_up(client, "Ann@Example.org")
    run_worker()

    assert len(smtp_server.messages) == 2
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_unsubscribed_reader_signing_up_again_gets_a_fresh_confirmation_and_resubscribes(
    client, smtp_server, run_worker
):
    sign_up(client, "ann@example.org")
    run_worker()
    first_confirm = smtp_server.messages[0].confirm_url()
    client.post(path_of(first_confirm))
    run_worker()
    client.post(path_of(smtp_server.messages[1].unsubscribe_url()))
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED

    response = sign_up(client, "ann@example.org")
    run_worker()

    assert response["Location"] == reverse("newsletter:check_inbox")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    _confirmation, _welcome, fresh = smtp_server.to("ann@example.org")
    assert fresh.confirm_url() != first_confirm
    assert "List-Unsubscribe" not in fresh.message
    assert 400 <= client.post(path_of(first_confirm)).status_code < 500

    assert client.post(path_of(fresh.confirm_url())).status_code == 302
    run_worker()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.unsubscribed_at is None
    latest, earlier = subscriber.consents.all()
    assert latest.confirmed_at is not None
    assert latest.withdrawn_at is None
    assert earlier.withdrawn_at is not None
    assert len(smtp_server.to("ann@example.org")) == 4  # a second welcome email


# One subscriber per address -------------------------------------------------------------


def test_addresses_differing_only_in_case_are_one_subscriber(client, smtp_server, run_worker):
    sign_up(client, "Ann@Example.org")
    sign_up(client, " ann@example.org ")
    sign_up(client, "ANN@EXAMPLE.ORG")
    run_worker()

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ann@example.org"
    assert subscriber.consents.count() == 3
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].envelope_to == ["ann@example.org"]


def test_database_refuses_a_second_row_for_the_same_address_in_another_case():
    Subscriber.objects.create(email="ann@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="Ann@Example.org")


# Validation -----------------------------------------------------------------------------


def assert_error_beside_field(page, name, message):
    field_id = f"id_{name}"
    error_id = f"{field_id}_error"
    errors = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', page, re.S)
    assert errors, f"no error list with id {error_id}"
    assert message in errors.group(1)
    tag = input_tag(page, name)
    assert f'id="{field_id}"' in tag
    assert 'aria-invalid="true"' in tag
    assert f'aria-describedby="{error_id}"' in tag
    # The error sits in the field's own block, next to its label and input.
    block = page[page.index(f'<label for="{field_id}"') :]
    assert block.index(error_id) < block.index("</div>")


def assert_nothing_saved():
    assert not Subscriber.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    "address", ["not-an-address", "ann@", "@example.org", "ann@example", "a b@example.org"]
)
def test_invalid_email_is_refused_with_the_error_beside_the_field(client, address):
    response = sign_up(client, address)

    assert response.status_code == 400
    page = response.content.decode()
    assert_error_beside_field(page, "email", "Enter a valid email address")
    assert "<title>Error:" in page
    assert_nothing_saved()


def test_missing_email_is_refused_with_the_error_beside_the_field(client):
    response = sign_up(client, "   ")

    assert response.status_code == 400
    assert_error_beside_field(response.content.decode(), "email", "Enter your email address.")
    assert_nothing_saved()


def test_missing_consent_is_refused_with_the_error_beside_the_checkbox(client):
    data = signup_data("ann@example.org")
    del data["consent"]

    response = client.post(SIGNUP, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert_error_beside_field(page, "consent", "Tick the box")
    assert 'value="ann@example.org"' in input_tag(page, "email")  # what was typed is kept
    assert_nothing_saved()


# Abuse ----------------------------------------------------------------------------------


def test_honeypot_filled_gets_the_normal_answer_but_nothing_is_saved_or_sent(
    client, smtp_server, run_worker
):
    response = sign_up(client, "bot@example.org", website="https://spam.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:check_inbox")
    assert_nothing_saved()
    run_worker()
    assert smtp_server.messages == []


def test_honeypot_is_hidden_from_people_and_assistive_technology(client):
    page = client.get(SIGNUP).content.decode()

    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', page, re.S)
    assert honeypot
    assert 'name="website"' in honeypot.group(1)
    assert 'tabindex="-1"' in honeypot.group(1)


def test_too_many_signups_from_one_ip_get_a_clear_429_page(client):
    limit, window = settings.NEWSLETTER_SIGNUP_RATE_LIMIT
    assert (limit, window) == (5, 600)
    for n in range(limit):
        assert sign_up(client, f"reader{n}@example.org", ip="192.0.2.10").status_code == 302

    response = sign_up(client, "one-too-many@example.org", ip="192.0.2.10")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many sign-ups" in page
    assert "try again" in page
    assert Subscriber.objects.count() == limit
    assert not Subscriber.objects.filter(email="one-too-many@example.org").exists()
    # Other readers are not locked out.
    assert sign_up(client, "someone@example.org", ip="192.0.2.99").status_code == 302


def test_rate_limit_counts_per_ip_and_follows_the_setting(client, settings):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = (2, 60)

    statuses = [sign_up(client, f"r{n}@example.org", ip="192.0.2.20").status_code for n in range(3)]

    assert statuses == [302, 302, 429]
    assert sign_up(client, "x@example.org", ip="192.0.2.21").status_code == 302


@pytest.mark.parametrize(
    ("ip", "network_prefix"), [("203.0.113.57", "203.0.113"), ("2001:db8:4:5::17", "2001:db8")]
)
def test_consent_record_keeps_a_keyed_hash_of_the_ip_never_the_ip(client, ip, network_prefix):
    sign_up(client, "ann@example.org", ip=ip)

    ip_hash = ConsentRecord.objects.get().ip_hash
    assert ip_hash
    assert ip not in ip_hash
    assert network_prefix not in ip_hash
    assert re.fullmatch(r"[0-9a-f]+", ip_hash)


def test_pages_state_the_configured_confirmation_link_lifetime(
    client, settings, smtp_server, run_worker, monkeypatch
):
    settings.NEWSLETTER_CONFIRMATION_MAX_AGE = 2 * 86400

    response = sign_up(client, "ann@example.org")
    run_worker()

    [confirmation] = smtp_server.messages
    assert "2 days" in confirmation.text
    check_inbox = client.get(response["Location"]).content.decode()
    assert "2 days" in check_inbox
    assert "7 days" not in check_inbox
    real_time = time.time
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: real_time() + 3 * 86400))
    expired = client.get(path_of(confirmation.confirm_url()))
    assert expired.status_code == 410
    assert "2 days" in expired.content.decode()
    assert "7 days" not in expired.content.decode()


# Pages are cached and shared by every reader, so the form carries no CSRF token; the view
# refuses a POST that the browser says comes from another site.
CROSS_SITE = {
    "Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    "Sec-Fetch-Site same-site (a sibling subdomain)": {"Sec-Fetch-Site": "same-site"},
    "another Origin": {"Origin": "https://evil.example"},
    "an opaque Origin (sandboxed frame)": {"Origin": "null"},
    "another site's Referer": {"Referer": "https://evil.example/page"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_a_signup_posted_from_another_site_is_refused_and_records_nothing(headers):
    browser = Client(enforce_csrf_checks=True, headers=headers)

    response = browser.post(SIGNUP, signup_data("victim@example.org"))

    assert response.status_code == 403
    assert "victim@example.org" not in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not DBTaskResult.objects.exists()


SAME_SITE = {
    "Sec-Fetch-Site same-origin": {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    "our Origin, no fetch metadata": {"Origin": "http://testserver"},
    "our Referer only": {"Referer": "http://testserver/essays/some-essay/"},
    "no browser headers (not a browser)": {},
}


@pytest.mark.parametrize("headers", SAME_SITE.values(), ids=SAME_SITE.keys())
def test_a_signup_posted_from_our_pages_needs_no_csrf_token(headers):
    browser = Client(enforce_csrf_checks=True, headers=headers)

    response = browser.post(SIGNUP, signup_data("reader@example.org"))

    assert response.status_code == 302
    assert Subscriber.objects.filter(email="reader@example.org").exists()


def test_the_signup_form_carries_no_per_reader_token_so_every_reader_gets_the_same_page():
    first, second = Client().get(SIGNUP), Client().get(SIGNUP)

    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert first.content == second.content
    assert not first.cookies
