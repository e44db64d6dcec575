"""Confirmation and unsubscribe links: opaque, scoped, expiring (confirmation only), single-use."""

import base64
import contextlib
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, reverse

from newsletter import services, tokens
from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

ADDRESS = "ann.reader@example.org"


@pytest.fixture
def pending():
    return services.subscribe(email=ADDRESS).subscriber


@pytest.fixture
def confirmed(pending):
    return services.confirm(token=tokens.make_confirmation_token(pending))


def confirm_path(token):
    return reverse("newsletter:confirm", args=[token])


def unsubscribe_path(token):
    return reverse("newsletter:unsubscribe", args=[token])


def decoded_segments(token):
    """Return every ':'-separated segment of a token, base64url-decoded where it decodes."""
    decoded = []
    for segment in token.split(":"):
        padded = segment + "=" * (-len(segment) % 4)
        with contextlib.suppress(ValueError):
            decoded.append(base64.urlsafe_b64decode(padded))
        decoded.append(segment.encode())
    return decoded


def age_signing_clock(monkeypatch, seconds):
    """Make tokens read as if `seconds` had passed since they were signed."""
    real_time = time.time
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: real_time() + seconds))


@pytest.mark.parametrize(
    "make_token", [tokens.make_confirmation_token, tokens.make_unsubscribe_token]
)
def test_token_does_not_reveal_the_address_even_base64_decoded(pending, make_token):
    token = make_token(pending)

    assert ADDRESS not in token.lower()
    for decoded in decoded_segments(token):
        assert ADDRESS.encode() not in decoded.lower()
        assert b"ann.reader" not in decoded.lower()
        assert b"example.org" not in decoded.lower()


def test_confirmation_token_is_not_an_unsubscribe_token(client, confirmed):
    confirmation_token = tokens.make_confirmation_token(confirmed)

    for response in (
        client.get(unsubscribe_path(confirmation_token)),
        client.post(unsubscribe_path(confirmation_token)),
    ):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_unsubscribe_token_is_not_a_confirmation_token(client, pending):
    unsubscribe_token = tokens.make_unsubscribe_token(pending)

    for response in (
        client.get(confirm_path(unsubscribe_token)),
        client.post(confirm_path(unsubscribe_token)),
    ):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def tampered_variants(token):
    payload, timestamp, signature = token.split(":")
    other_id = signing.dumps([999_999, "x" * 22], salt=tokens.CONFIRM_SALT, compress=False)
    return [
        f"{payload}:{timestamp}:{signature[:-2]}xx",  # forged signature
        f"{payload[:-1]}A:{timestamp}:{signature}",  # altered payload
        f"{other_id.split(':')[0]}:{timestamp}:{signature}",  # someone else's id
        token[:-10],  # cut short by an email program
        "not-a-token",
    ]


def test_tampered_confirmation_token_gets_a_clear_400_page(client, pending):
    for bad in tampered_variants(tokens.make_confirmation_token(pending)):
        for method in (client.get, client.post):
            response = method(confirm_path(bad))
            assert response.status_code == 400, (bad, method)
            assert "This link is not valid" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_tampered_unsubscribe_token_gets_a_clear_400_page(client, confirmed):
    for bad in tampered_variants(tokens.make_unsubscribe_token(confirmed)):
        for method in (client.get, client.post):
            response = method(unsubscribe_path(bad))
            assert response.status_code == 400, (bad, method)
            assert "This link is not valid" in response.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_unsubscribe_token_with_a_stale_key_is_refused(client, confirmed):
    token = tokens.make_unsubscribe_token(confirmed)
    Subscriber.objects.filter(pk=confirmed.pk).update(unsubscribe_key="rotated-key")

    response = client.post(unsubscribe_path(token))

    assert response.status_code == 400
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_expired_confirmation_token_gets_a_clear_410_page(client, pending, monkeypatch):
    token = tokens.make_confirmation_token(pending)
    age_signing_clock(monkeypatch, settings.NEWSLETTER_CONFIRMATION_MAX_AGE + 60)

    for method in (client.get, client.post):
        response = method(confirm_path(token))
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page
        assert "Sign up again" in page
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_confirmation_token_still_works_just_before_it_expires(client, pending, monkeypatch):
    token = tokens.make_confirmation_token(pending)
    age_signing_clock(monkeypatch, settings.NEWSLETTER_CONFIRMATION_MAX_AGE - 60)

    response = client.post(confirm_path(token))

    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_confirmation_max_age_is_seven_days_by_default():
    assert settings.NEWSLETTER_CONFIRMATION_MAX_AGE == 7 * 24 * 3600


def test_reused_confirmation_token_gets_a_clear_4xx_page(client, pending):
    path = confirm_path(tokens.make_confirmation_token(pending))
    assert client.post(path).status_code == 302
    confirmed_at = Subscriber.objects.get().confirmed_at

    for method in (client.post, client.get):
        response = method(path)
        assert 400 <= response.status_code < 500
        assert "This link has already been used" in response.content.decode()
    assert Subscriber.objects.get().confirmed_at == confirmed_at


def test_confirmation_token_from_before_an_unsubscribe_cannot_resubscribe(client, pending):
    token = tokens.make_confirmation_token(pending)
    services.unsubscribe_subscriber(subscriber=pending)

    response = client.post(confirm_path(token))

    assert 400 <= response.status_code < 500
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_get_on_confirm_and_unsubscribe_links_never_changes_state(client, pending):
    confirm_token = tokens.make_confirmation_token(pending)
    unsubscribe_token = tokens.make_unsubscribe_token(pending)
    before = Subscriber.objects.values().get()
    consent_before = pending.consents.values().get()

    for _ in range(3):
        assert client.get(confirm_path(confirm_token)).status_code == 200
        assert client.head(confirm_path(confirm_token)).status_code in {200, 405}

    assert Subscriber.objects.values().get() == before
    assert pending.consents.values().get() == consent_before
    services.confirm(token=confirm_token)
    confirmed_state = Subscriber.objects.values().get()
    for _ in range(3):
        assert client.get(unsubscribe_path(unsubscribe_token)).status_code == 200
    assert Subscriber.objects.values().get() == confirmed_state
    assert pending.consents.get().withdrawn_at is None


def test_link_pages_never_answer_500_for_odd_tokens(client):
    for odd in ["", "%00", "a" * 2000, "W10:1:2", "bnVsbA:1ab:xyz", "..", "\u00e9"]:
        for view in ("newsletter:confirm", "newsletter:unsubscribe"):
            try:
                path = reverse(view, args=[odd])
            except NoReverseMatch:  # not a link the site could have sent
                continue
            for method in (client.get, client.post):
                assert method(path).status_code < 500, (view, odd)
