"""URLs that last: a changed slug leaves a permanent redirect behind (no chains, no loops),
and staff can add redirects from the old site's URLs with Django's redirects app.
"""

import pytest
from django.conf import settings
from django.contrib.redirects.models import Redirect

from essays.models import Author
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory

pytestmark = pytest.mark.django_db

KINDS = {
    "essay": (lambda: EssayFactory(title="First title", slug="first"), "/essays/{}/"),
    "series": (lambda: SeriesFactory(title="First title", slug="first"), "/series/{}/"),
    "author": (lambda: AuthorFactory(name="First name", slug="first"), "/authors/{}/"),
}


def make(kind):
    factory, pattern = KINDS[kind]
    item = factory()
    if kind == "author":
        EssayFactory(authors=[item])  # an author page lists their essays
    return item, pattern


def rename(item, slug):
    item.slug = slug
    item.save()


def assert_permanent_redirect(client, old_url, new_url):
    response = client.get(old_url)
    assert response.status_code == 301, (old_url, response.status_code)
    assert response["Location"] == new_url, (old_url, response["Location"])
    assert client.get(new_url).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_changing_a_slug_redirects_the_old_url_permanently(client, kind):
    item, pattern = make(kind)
    assert client.get(pattern.format("first")).status_code == 200

    rename(item, "second")

    assert client.get(pattern.format("second")).status_code == 200
    assert_permanent_redirect(client, pattern.format("first"), pattern.format("second"))


@pytest.mark.parametrize("kind", KINDS)
def test_old_url_with_a_query_string_still_redirects(client, kind):
    item, pattern = make(kind)
    rename(item, "second")

    response = client.get(pattern.format("first"), {"utm_source": "newsletter"})

    assert response.status_code == 301
    assert response["Location"].startswith(pattern.format("second"))


@pytest.mark.parametrize("kind", KINDS)
def test_two_changes_both_redirect_straight_to_the_newest_url(client, kind):
    item, pattern = make(kind)

    rename(item, "second")
    rename(item, "third")

    assert_permanent_redirect(client, pattern.format("first"), pattern.format("third"))
    assert_permanent_redirect(client, pattern.format("second"), pattern.format("third"))
    assert set(Redirect.objects.values_list("new_path", flat=True)) == {pattern.format("third")}


@pytest.mark.parametrize("kind", KINDS)
def test_changing_back_to_an_old_slug_serves_it_without_a_loop(client, kind):
    item, pattern = make(kind)

    rename(item, "second")
    rename(item, "first")

    assert client.get(pattern.format("first")).status_code == 200
    assert_permanent_redirect(client, pattern.format("second"), pattern.format("first"))
    for redirect in Redirect.objects.all():
        assert redirect.old_path != redirect.new_path
        assert not Redirect.objects.filter(old_path=redirect.new_path).exists(), redirect


@pytest.mark.parametrize("kind", KINDS)
def test_going_round_three_slugs_leaves_no_chain_or_loop(client, kind):
    item, pattern = make(kind)

    for slug in ("second", "third", "first", "second"):
        rename(item, slug)

    assert client.get(pattern.format("second")).status_code == 200
    assert_permanent_redirect(client, pattern.format("first"), pattern.format("second"))
    assert_permanent_redirect(client, pattern.format("third"), pattern.format("second"))


@pytest.mark.parametrize("kind", KINDS)
def test_saving_without_changing_the_slug_adds_no_redirect(kind):
    item, _ = make(kind)

    item.save()
    item.save()

    assert not Redirect.objects.exists()


def test_a_new_page_at_an_old_address_wins_over_the_redirect(client):
    moved = EssayFactory(title="Moved", slug="first")
    rename(moved, "moved")

    EssayFactory(title="Newcomer", slug="first")

    response = client.get("/essays/first/")
    assert response.status_code == 200
    assert response.context["essay"].title == "Newcomer"


def test_renamed_author_slug_redirects_and_author_feed_keeps_working(client):
    author = AuthorFactory(name="Wilhelmina Strudwick")
    EssayFactory(authors=[author])
    old_url = author.get_absolute_url()

    author = Author.objects.get(pk=author.pk)
    author.slug = "wilhelmina-strudwick-farquharson"
    author.save()

    assert_permanent_redirect(client, old_url, "/authors/wilhelmina-strudwick-farquharson/")


def test_staff_created_redirect_from_the_old_site_answers_301(client):
    essay = EssayFactory(title="The new wave of mutuality")
    Redirect.objects.create(
        site_id=settings.SITE_ID,
        old_path="/article/123/old-page.html",
        new_path=essay.get_absolute_url(),
    )

    assert_permanent_redirect(
        client, "/article/123/old-page.html", "/essays/the-new-wave-of-mutuality/"
    )


def test_staff_can_add_a_redirect_in_the_admin(admin_client, client):
    essay = EssayFactory(title="The new wave of mutuality")

    listing = admin_client.get("/admin/redirects/redirect/")
    assert listing.status_code == 200
    assert admin_client.get("/admin/redirects/redirect/add/").status_code == 200
    response = admin_client.post(
        "/admin/redirects/redirect/add/",
        {
            "site": settings.SITE_ID,
            "old_path": "/article/123/old-page.html",
            "new_path": essay.get_absolute_url(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert_permanent_redirect(client, "/article/123/old-page.html", essay.get_absolute_url())
