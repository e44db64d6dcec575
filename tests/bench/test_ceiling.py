"""The benchmark's ceiling and floors (bench/ceiling.py): fair comparisons, or no figures."""

import re

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.ceiling")]

FLOORS = ["/floor/query", "/floor/cards", "/floor/query-cards", "/floor/query-cards-jinja2"]


@pytest.fixture(autouse=True)
def ceiling_settings(settings):
    """Serve as `gunicorn bench.ceiling` does: its one middleware, any host name."""
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    settings.ALLOWED_HOSTS = ["testserver"]


def squeezed(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("path", ["/", *FLOORS])
def test_the_ceiling_and_every_floor_answer(client, path):
    assert client.get(path).status_code == 200


def test_both_template_engines_render_the_same_cards(client):
    django_cards = squeezed(client.get("/floor/cards"))
    jinja2_cards = squeezed(client.get("/floor/query-cards-jinja2"))

    assert django_cards == jinja2_cards
    assert django_cards.count('<article class="card card--essay">') == 20
    assert "<title>Ideas &amp; Debate</title>" in django_cards  # escaped by both engines
    assert '<time datetime="2026-01-01">1 January 2026</time>' in jinja2_cards


def test_the_query_floors_query_the_database_once(client, django_assert_num_queries):
    for path in ("/floor/query", "/floor/query-cards", "/floor/query-cards-jinja2"):
        with django_assert_num_queries(1):
            client.get(path)
    with django_assert_num_queries(0):
        client.get("/floor/cards")
