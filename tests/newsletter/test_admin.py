"""Staff's subscriber list: counts, filters, search, CSV export, data access and erasure."""

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from newsletter import services, tokens
from newsletter.consent import CONSENT_VERSION, CONSENT_WORDING
from newsletter.models import ConsentRecord, Subscriber, Suppression
from tests.newsletter.helpers import path_of, signup_data

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:newsletter_subscriber_changelist"


@pytest.fixture
def admin_client(db, django_user_model):
    """A superuser's client, logged in without hashing a password (quicker than the default)."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", None)
    admin = Client()
    admin.force_login(user)
    return admin


def subscriber(address, status="pending", name=""):
    found = services.subscribe(
        email=address, name=name, source_url="/essays/x/", ip_address="203.0.113.9"
    ).subscriber
    if status in {"confirmed", "unsubscribed"}:
        found = services.confirm(token=tokens.make_confirmation_token(found))
    if status == "unsubscribed":
        found = services.unsubscribe_subscriber(subscriber=found)
    return found


@pytest.fixture
def subscribers():
    return {
        "ann": subscriber("ann@example.org", "confirmed", name="Ann Reader"),
        "bob": subscriber("bob@example.org", "confirmed", name="=cmd()"),
        "cy": subscriber("cy@example.org", "pending"),
        "dee": subscriber("dee@example.org", "pending"),
        "eve": subscriber("eve@example.org", "pending"),
        "fay": subscriber("fay@example.org", "unsubscribed"),
    }


def listed_emails(page):
    return set(re.findall(r"[a-z]+@example\.org", page))


def test_changelist_shows_counts_by_status(admin_client, subscribers):
    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    counts = dict(
        (label, int(n)) for n, label in re.findall(r"<li><strong>(\d+)</strong> ([^<]+)</li>", page)
    )
    assert counts == {"pending confirmation": 3, "confirmed": 2, "unsubscribed": 1}


def test_changelist_filters_by_status(admin_client, subscribers):
    confirmed = admin_client.get(reverse(CHANGELIST), {"status__exact": "confirmed"})
    pending = admin_client.get(reverse(CHANGELIST), {"status__exact": "pending"})

    assert listed_emails(confirmed.content.decode()) == {"ann@example.org", "bob@example.org"}
    assert listed_emails(pending.content.decode()) == {
        "cy@example.org",
        "dee@example.org",
        "eve@example.org",
    }


def test_changelist_searches_address_and_name(admin_client, subscribers):
    by_address = admin_client.get(reverse(CHANGELIST), {"q": "dee@"})
    by_name = admin_client.get(reverse(CHANGELIST), {"q": "Reader"})

    assert listed_emails(by_address.content.decode()) == {"dee@example.org"}
    assert listed_emails(by_name.content.decode()) == {"ann@example.org"}


def test_changelist_links_to_the_confirmed_csv_export(admin_client, subscribers):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert f'href="{reverse("admin:newsletter_subscriber_export")}"' in page


def test_subscriber_change_page_shows_consent_records_and_data_download(admin_client, subscribers):
    ann = subscribers["ann"]

    response = admin_client.get(reverse("admin:newsletter_subscriber_change", args=[ann.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert CONSENT_VERSION in page
    assert reverse("admin:newsletter_subscriber_data", args=[ann.pk]) in page


def test_csv_export_lists_only_confirmed_subscribers_with_formulas_defused(
    admin_client, subscribers
):
    response = admin_client.get(reverse("admin:newsletter_subscriber_export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["email"] for row in rows] == ["ann@example.org", "bob@example.org"]
    names = {row["email"]: row["name"] for row in rows}
    assert names["ann@example.org"] == "Ann Reader"
    assert not names["bob@example.org"].startswith(("=", "+", "-", "@"))
    assert "cmd()" in names["bob@example.org"]
    assert all(row["confirmed_at"] for row in rows)


@pytest.mark.parametrize("dangerous", ["=cmd()", "+1+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_csv_export_defuses_every_formula_prefix(admin_client, dangerous):
    subscriber("ann@example.org", "confirmed")
    Subscriber.objects.update(name=dangerous)

    response = admin_client.get(reverse("admin:newsletter_subscriber_export"))

    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["name"][:1] not in {"=", "+", "-", "@", "\t", "\r"}


def test_csv_export_is_for_staff_only(client, subscribers):
    response = client.get(reverse("admin:newsletter_subscriber_export"))

    assert response.status_code == 302
    assert "ann@example.org" not in response.content.decode()


def test_data_json_returns_everything_held_about_a_subscriber_with_consents(
    admin_client, subscribers
):
    fay = subscribers["fay"]

    response = admin_client.get(reverse("admin:newsletter_subscriber_data", args=[fay.pk]))

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["email"] == "fay@example.org"
    assert data["status"] == "unsubscribed"
    assert data["confirmed_at"]
    assert data["unsubscribed_at"]
    [consent] = data["consents"]
    assert consent["wording"] == CONSENT_WORDING
    assert consent["wording_version"] == CONSENT_VERSION
    assert consent["source_url"] == "/essays/x/"
    for moment in ("submitted_at", "confirmed_at", "withdrawn_at"):
        assert consent[moment], moment
    assert "203.0.113.9" not in response.content.decode()


def test_data_json_is_for_staff_only(client, subscribers):
    url = reverse("admin:newsletter_subscriber_data", args=[subscribers["ann"].pk])

    response = client.get(url)

    assert response.status_code == 302
    assert "ann@example.org" not in response.content.decode()


def erase(admin_client, *people):
    return admin_client.post(
        reverse(CHANGELIST),
        {"action": "erase_selected", "_selected_action": [person.pk for person in people]},
    )


def test_erase_action_deletes_personal_data_and_keeps_only_a_hashed_suppression(
    admin_client, subscribers
):
    ann = subscribers["ann"]

    response = erase(admin_client, ann)

    assert response.status_code == 302
    assert not Subscriber.objects.filter(pk=ann.pk).exists()
    assert not ConsentRecord.objects.filter(subscriber_id=ann.pk).exists()
    [suppression] = Suppression.objects.all()
    assert suppression.email_hash != "ann@example.org"
    assert "ann" not in suppression.email_hash
    assert "example.org" not in suppression.email_hash
    assert services.is_suppressed("Ann@Example.org")
    # The others are untouched.
    assert Subscriber.objects.count() == len(subscribers) - 1


def test_fresh_signup_and_confirmation_after_erasure_subscribes_and_lifts_suppression(
    admin_client, client, subscribers, smtp_server, run_worker
):
    erase(admin_client, subscribers["ann"])
    assert Suppression.objects.count() == 1

    client.post(reverse("newsletter:signup"), signup_data("ann@example.org"))
    run_worker()
    [confirmation] = smtp_server.to("ann@example.org")
    assert Suppression.objects.count() == 1  # a sign-up alone lifts nothing
    client.post(path_of(confirmation.confirm_url()))
    run_worker()

    assert Subscriber.objects.get(email="ann@example.org").status == "confirmed"
    assert not Suppression.objects.exists()
    assert not services.is_suppressed("ann@example.org")
    assert len(smtp_server.to("ann@example.org")) == 2  # confirmation, welcome


def test_unsubscribe_link_of_an_erased_subscriber_reveals_nothing(
    admin_client, client, subscribers
):
    ann = subscribers["ann"]
    path = reverse("newsletter:unsubscribe", args=[tokens.make_unsubscribe_token(ann)])
    erase(admin_client, ann)

    for response in (client.get(path), client.post(path)):
        assert response.status_code < 500
        assert "ann@example.org" not in response.content.decode()


def test_unsubscribe_action_unsubscribes_selected(admin_client, subscribers):
    ann = subscribers["ann"]

    admin_client.post(
        reverse(CHANGELIST), {"action": "unsubscribe_selected", "_selected_action": [ann.pk]}
    )

    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.UNSUBSCRIBED
    assert ann.consents.get().withdrawn_at is not None


def test_staff_cannot_add_subscribers_by_hand(admin_client):
    response = admin_client.get(reverse("admin:newsletter_subscriber_add"))

    assert response.status_code == 403


@pytest.mark.parametrize("address", ["=1+1@example.org", "-2+3@example.org"])
def test_csv_export_defuses_formula_looking_addresses_too(admin_client, client, address):
    """An address is typed by the public, so it is as untrusted as a name."""
    response = client.post(reverse("newsletter:signup"), signup_data(address))
    if response.status_code == 400:
        return  # refusing such addresses at sign-up defuses them just as well
    signed_up = Subscriber.objects.get()
    client.post(reverse("newsletter:confirm", args=[tokens.make_confirmation_token(signed_up)]))

    export = admin_client.get(reverse("admin:newsletter_subscriber_export"))

    [row] = list(csv.reader(io.StringIO(export.content.decode())))[1:]
    assert all(cell[:1] not in {"=", "+", "-", "@", "\t", "\r"} for cell in row), row
