"""`manage.py purge_unconfirmed`: sign-ups never confirmed go after 30 days."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from newsletter import services, tokens
from newsletter.models import ConsentRecord, Subscriber

pytestmark = pytest.mark.django_db


def signed_up(address, days_ago):
    subscriber = services.subscribe(email=address).subscriber
    then = timezone.now() - timedelta(days=days_ago)
    Subscriber.objects.filter(pk=subscriber.pk).update(created_at=then, confirmation_sent_at=then)
    ConsentRecord.objects.filter(subscriber=subscriber).update(submitted_at=then)
    return subscriber


def purge():
    out = StringIO()
    call_command("purge_unconfirmed", stdout=out)
    return out.getvalue()


def test_purge_unconfirmed_deletes_pending_signups_older_than_30_days_with_their_consents():
    assert settings.NEWSLETTER_UNCONFIRMED_RETENTION_DAYS == 30
    stale = signed_up("stale@example.org", days_ago=31)

    output = purge()

    assert not Subscriber.objects.filter(pk=stale.pk).exists()
    assert not ConsentRecord.objects.filter(subscriber_id=stale.pk).exists()
    assert "Deleted 1 " in output


def test_purge_unconfirmed_keeps_recent_pending_and_all_confirmed_subscribers():
    signed_up("stale@example.org", days_ago=31)
    recent = signed_up("recent@example.org", days_ago=29)
    old_confirmed = signed_up("confirmed@example.org", days_ago=400)
    services.confirm(token=tokens.make_confirmation_token(old_confirmed))
    old_unsubscribed = signed_up("unsubscribed@example.org", days_ago=400)
    services.confirm(token=tokens.make_confirmation_token(old_unsubscribed))
    services.unsubscribe_subscriber(subscriber=old_unsubscribed)

    purge()

    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        recent.email,
        old_confirmed.email,
        old_unsubscribed.email,
    }


def test_purge_unconfirmed_keeps_an_old_pending_address_that_signed_up_again_recently():
    again = signed_up("again@example.org", days_ago=60)
    services.subscribe(email="again@example.org")  # a fresh sign-up today

    purge()

    assert Subscriber.objects.filter(pk=again.pk).exists()
    assert ConsentRecord.objects.filter(subscriber=again).count() == 2
