"""Cards' authors and topics come from plain-row prefetches (series.prefetch)."""

import pytest
from django.db import connection

from essays.models import Essay
from series.models import Series
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
