"""`load_demo_content`: the seed's Mutualism series, exactly, and idempotent."""

import html
import re

import pytest
from django.core.management import call_command
from django.utils.html import strip_tags
from taggit.models import Tag

from essays.models import Author, Essay, EssayAuthor, TaggedEssay
from series.models import Series, Status, TaggedSeries

pytestmark = pytest.mark.django_db

SERIES_TITLE = "Mutualism: social democratic policy in an age of austerity"
ESSAY_TITLES = [
    "The new wave of mutuality",
    "The rise of community wealth-building institutions",
    "Beyond mutualism and towards “The Big Economy”",
    "Bringing mutualism back into business",
    "Mutualism as a means to a bigger society",
    "A real version of mutualism for the left",
    "Mutual councils as antidotes to populism",
    "Investing in the mutualisation of public services",
]
# The seed's intro: each paragraph's opening and closing words.
INTRO_PARAGRAPHS = [
    (
        "The Conservatives, with their rhetoric of the “big society”, seem to have displaced",
        "an encroachment on the ideological terrain of the centre-left.",
    ),
    (
        "Many see mutualism as the Left\N{RIGHT SINGLE QUOTATION MARK}s answer"
        " to the “big society”.",
        "how can equal access to and quality of services be maintained nationally?",
    ),
    (
        "The challenge for Labour is to develop a clear vision of what mutualism means",
        'give Labour the tools to constructively challenge the "big society".',
    ),
]


def load():
    call_command("load_demo_content", verbosity=0)


@pytest.fixture
def demo():
    load()


def test_demo_loads_exactly_one_published_series_with_the_seed_title(demo):
    series = Series.objects.get()

    assert series.title == SERIES_TITLE
    assert series.status == Status.PUBLISHED
    assert series in Series.objects.published()


def test_demo_series_intro_is_the_seeds_three_paragraphs(demo):
    intro = Series.objects.get().intro

    paragraphs = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", intro, re.S)]
    assert len(paragraphs) == 3
    for paragraph, (opening, closing) in zip(paragraphs, INTRO_PARAGRAPHS, strict=True):
        assert paragraph.startswith(opening)
        assert paragraph.endswith(closing)


def test_demo_loads_eight_published_essays_in_the_seeds_order(demo):
    series = Series.objects.get()
    essays = Essay.objects.published().filter(series=series).order_by("series_position")

    assert Essay.objects.count() == 8
    assert [essay.title for essay in essays] == ESSAY_TITLES


def test_demo_series_page_lists_the_essays_in_the_seeds_order(client, demo):
    page = client.get(Series.objects.get().get_absolute_url()).content.decode()

    titles = re.findall(r'class="card__title"><a [^>]*>([^<]+)<', page)
    found = [html.unescape(title) for title in titles]
    assert found == ESSAY_TITLES


def test_demo_loads_nine_authors(demo):
    assert Author.objects.count() == 9


def test_demo_last_essay_is_by_richard_todd_and_ben_williams_in_that_order(client, demo):
    essay = Essay.objects.get(title=ESSAY_TITLES[-1])

    assert [author.name for author in essay.byline_authors] == ["Richard Todd", "Ben Williams"]
    page = client.get(essay.get_absolute_url()).content.decode()
    assert "By Richard Todd & Ben Williams" in html.unescape(strip_tags(page))


def test_every_demo_essay_has_topics_and_a_standfirst_opening_its_body(demo):
    for essay in Essay.objects.all():
        assert essay.topics.exists(), essay.title
        assert essay.standfirst, essay.title
        body_text = html.unescape(strip_tags(essay.body)).strip()
        assert body_text.startswith(essay.standfirst), essay.title


def snapshot():
    """Return every row the demo loader touches, timestamps included."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Series, Essay, Author, EssayAuthor, Tag, TaggedEssay, TaggedSeries)
    }


def test_loading_the_demo_twice_changes_nothing():
    load()
    before = snapshot()

    load()

    assert snapshot() == before
    assert all(before.values()), "the demo should fill every snapshotted table"
