"""Cards' authors and topics come from plain-row prefetches (series.prefetch)."""

import pytest
from django.db import connection

from essays.models import Essay
from essays.views import TOPIC_CHOICES, topic_choices, topics_in_use
from series.models import Series, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def essays():
    first, second, third = (AuthorFactory(name=name) for name in ("Zoe Ash", "Al Birch", "Bo Cole"))
    return [
        EssayFactory(authors=[first, second, third], topics=["Welfare", "Austerity", "Housing"]),
        EssayFactory(authors=[third], topics=["Housing"]),
        EssayFactory(authors=[second, first]),
    ]


def test_cards_credit_authors_in_byline_order_and_list_topics_by_name(essays):
    listed = Essay.objects.with_listing_data().in_bulk([essay.pk for essay in essays])

    first, second, third = (listed[essay.pk] for essay in essays)
    assert [author.name for author in first.byline_authors] == ["Zoe Ash", "Al Birch", "Bo Cole"]
    assert [topic.name for topic in first.topic_list] == ["Austerity", "Housing", "Welfare"]
    assert [author.name for author in second.byline_authors] == ["Bo Cole"]
    assert [author.name for author in third.byline_authors] == ["Al Birch", "Zoe Ash"]
    assert third.topic_list == []
    assert first.byline_authors[0].get_absolute_url() == "/authors/zoe-ash/"


@pytest.mark.parametrize(
    "prefetch",
    [Essay.author_credits, Essay.topic_links, Series.topic_links],
    ids=["essay authors", "essay topics", "series topics"],
)
def test_compiled_query_gives_the_rows_the_orm_gives(essays, prefetch):
    series = SeriesFactory()
    series.topics.set(["Mutualism", "Co-operatives"])
    keys = {essay.pk for essay in essays} | {series.pk}

    rows = prefetch.query.fetch(keys)

    query = prefetch.query
    assert rows == list(query.rows().filter(**{f"{query.owner}__in": keys}))
    assert rows  # the comparison compared something
    if connection.vendor == "postgresql":
        assert query._statement, "on PostgreSQL the SQL is compiled once and reused"


def test_topic_choices_are_compiled_once_and_read_afresh_each_time(essays):
    assert [topic.name for topic in topic_choices()] == ["Austerity", "Housing", "Welfare"]

    EssayFactory(topics=["Allotments"])
    Essay.objects.filter(topics__name="Welfare").update(status=Status.DRAFT)

    assert [topic.name for topic in topic_choices()] == ["Allotments", "Housing"]
    assert [(t.pk, t.name, t.slug) for t in topic_choices()] == list(
        topics_in_use().values_list("pk", "name", "slug")
    )
    if connection.vendor == "postgresql":
        assert TOPIC_CHOICES._statement, "on PostgreSQL the SQL is compiled once and reused"
