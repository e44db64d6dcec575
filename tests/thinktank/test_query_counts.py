"""Every public page type costs a fixed, small number of queries, however much it shows.

Each test renders a page with a little content, then with a lot more (more essays, three
authors and four topics each, several series, plus drafts and scheduled work), and pins the
same exact query count for both. A failure here after a template or view change usually
means an N+1: a relation read per card without `select_related` / `Prefetch`.
"""

import datetime as dt

import pytest
from django.utils import timezone

from essays.models import EssayAuthor, TaggedEssay
from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements

# What rendering a page costs; a page served from the page cache costs one query, the
# content version (tests/thinktank/test_page_cache.py), and a miss costs one more than this.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_off")]

MAX_QUERIES = 10
# Measured, then pinned. What each page reads (the last query is always the site settings):
EXPECTED_QUERIES = {
    # series + their topics + contributors; essays + bylines + topics; site settings
    "home": 7,
    # topics in use (the filter; it also resolves ?topic=); a page of series ids and one
    # of essay ids (by cursor, no count); series + topics + contributors; essays +
    # bylines + topics; site
    "ideas": 10,
    "ideas by topic": 10,
    # series + topics; essays + bylines + topics; site
    "series": 6,
    # essay (+ series) + bylines + topics; the series' parts; site
    "essay": 5,
    # author; essays + bylines + topics; site
    "author": 5,
    # the topic; essays (a page by cursor, no count) + bylines + topics; its newest
    # series + topics + contributors; site
    "topic": 8,
}
TOPICS = ["Main topic", "Second topic", "Third topic", "Fourth topic"]


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


class Content:
    """A little published content, which `grow()` turns into a lot, behind the same URLs."""

    def __init__(self):
        self.author = AuthorFactory(name="Main Author")
        self.series = SeriesFactory(title="Main series", published_at=days_ago(60))
        self.series.topics.set(TOPICS[:1])
        self.essay = EssayFactory(
            series=self.series, series_position=3, authors=[self.author], topics=TOPICS[:1]
        )
        self.standalone = EssayFactory(authors=[self.author], topics=TOPICS[:1])

    def urls(self):
        return {
            "home": "/",
            "ideas": "/ideas/",
            "ideas by topic": "/ideas/?topic=main-topic",
            "series": self.series.get_absolute_url(),
            "essay": self.essay.get_absolute_url(),
            "author": self.author.get_absolute_url(),
            "topic": "/topics/main-topic/",
        }

    def grow(self):
        co_authors = [AuthorFactory(), AuthorFactory()]
        authors = [self.author, *co_authors]
        for essay in (self.essay, self.standalone):
            for position, author in enumerate(co_authors, start=2):
                EssayAuthor.objects.create(essay=essay, author=author, position=position)
            essay.topics.set(TOPICS)
        self.series.topics.set(TOPICS)
        tags = list(self.essay.topics.all())
        essays = [
            EssayFactory(series=self.series, series_position=position, authors=authors)
            for position in (1, 2, 4, 5, 6)
        ]
        for number in range(1, 4):
            other = SeriesFactory(title=f"Other series {number}", published_at=days_ago(number))
            other.topics.set(TOPICS)
            essays += [
                EssayFactory(series=other, series_position=position, authors=authors)
                for position in range(1, 4)
            ]
        essays += [EssayFactory(authors=authors) for _ in range(25)]
        essays += [
            EssayFactory(series=self.series, status=Status.DRAFT, authors=authors),
            EssayFactory(status=Status.DRAFT, authors=authors),
            EssayFactory(published_at=timezone.now() + dt.timedelta(days=2), authors=authors),
        ]
        # Tagged in bulk: taggit's `set()` costs several queries a call, and adds nothing here.
        TaggedEssay.objects.bulk_create(
            TaggedEssay(content_object=essay, tag=tag) for essay in essays for tag in tags
        )
        draft_series = SeriesFactory(status=Status.DRAFT)
        draft_series.topics.set(TOPICS)


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_pinned_query_counts_stay_within_budget():
    assert max(EXPECTED_QUERIES.values()) <= MAX_QUERIES


@pytest.mark.parametrize("page", EXPECTED_QUERIES)
def test_page_query_count_does_not_grow_with_content(client, django_assert_num_queries, page):
    content = Content()
    url = content.urls()[page]
    with django_assert_num_queries(EXPECTED_QUERIES[page]):
        few = render(client, url)

    content.grow()
    with django_assert_num_queries(EXPECTED_QUERIES[page]):
        many = render(client, url)

    assert len(many) > len(few)  # the second render really showed more
    assert "Main Author" in many
    if page == "essay":
        assert "Part 3 of 6" in many


def test_listing_pages_show_many_cards_at_the_pinned_cost(client, django_assert_num_queries):
    content = Content()
    content.grow()

    with django_assert_num_queries(EXPECTED_QUERIES["ideas"]):
        page = render(client, "/ideas/")
    assert len(elements(page, "article", "card")) == 20

    with django_assert_num_queries(EXPECTED_QUERIES["topic"]):
        page = render(client, "/topics/main-topic/")
    assert len(elements(page, "article", "card")) == 4 + 20  # every series, a page of essays

    with django_assert_num_queries(EXPECTED_QUERIES["author"]):
        page = render(client, content.author.get_absolute_url())
    assert len(elements(page, "article", "card")) == 20  # a page of their 2 + 5 + 9 + 25
