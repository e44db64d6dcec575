"""Concurrent sign-ups of the same addresses through a running server, on PostgreSQL."""

import http.client
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import Group
from django_tasks_db.models import DBTaskResult

from newsletter.models import ConsentRecord, Subscriber
from series.models import SiteSettings
from tests.newsletter.helpers import signup_data

ADDRESSES = 20
SIGNUPS = 100
WORKERS = 16
CASE_VARIANTS = (str.lower, str.upper, str.title, str.swapcase, lambda s: s)


def address(n):
    """Return the n-th sign-up's address: consecutive sign-ups share an address, so the
    requests in flight together collide, each spelling it in another case."""
    per_address = SIGNUPS // ADDRESSES
    base = f"Person{n // per_address}@Example.org"
    return CASE_VARIANTS[n % len(CASE_VARIANTS)](base)


def request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


# The server's threads must see committed rows, so this test commits for real; restoring
# the migrations' rows afterwards (site settings, editorial groups) keeps later tests whole.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_signups_of_the_same_addresses_make_one_subscriber_and_one_email_each(
    live_server, settings, smtp_server, run_worker
):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = (10_000, 600)
    server = urlsplit(live_server.url)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": live_server.url,  # as a browser posting the form from one of our pages
    }

    def post(n):
        body = urlencode(signup_data(address(n)))
        status, response_headers, _ = request(server, "POST", "/newsletter/", body, headers)
        return status, response_headers.get("Location")

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(pool.map(post, range(SIGNUPS)))

    assert len({address(n) for n in range(SIGNUPS)}) > ADDRESSES  # really mixed case
    assert [status for status, _ in answers if status >= 500] == []
    assert set(answers) == {(302, "/newsletter/check-your-inbox/")}
    emails = set(Subscriber.objects.values_list("email", flat=True))
    assert emails == {f"person{n}@example.org" for n in range(ADDRESSES)}
    assert Subscriber.objects.count() == ADDRESSES
    assert ConsentRecord.objects.count() == SIGNUPS
    assert (
        DBTaskResult.objects.filter(task_path="newsletter.tasks.send_confirmation_email").count()
        == ADDRESSES
    )

    run_worker()

    per_recipient = smtp_server.per_recipient()
    assert set(per_recipient) == emails
    assert max(per_recipient.values()) == 1


@pytest.mark.django_db
def test_rows_created_by_migrations_survive_the_concurrency_test():
    """Runs after the test above: its flush must not take data migrations' rows with it."""
    assert SiteSettings.objects.filter(pk=1).exists()
    assert Group.objects.filter(name__in=["Editor", "Contributor"]).count() == 2
