"""URLs are made from `django.utils.text.slugify` of the title (essays, series) or name."""

import pytest
from django.core.management import call_command
from django.utils.text import slugify

from essays.models import Author, Essay
from series.models import Series, Status
from tests.factories import EssayFactory

pytestmark = pytest.mark.django_db


def test_demo_content_urls_are_slugified_titles_and_names(client):
    call_command("load_demo_content", verbosity=0)

    for essay in Essay.objects.all():
        assert essay.get_absolute_url() == f"/essays/{slugify(essay.title)}/"
    for series in Series.objects.all():
        assert series.get_absolute_url() == f"/series/{slugify(series.title)}/"
    for author in Author.objects.all():
        assert author.get_absolute_url() == f"/authors/{slugify(author.name)}/"
    essay = Essay.objects.get(title="Beyond mutualism and towards “The Big Economy”")
    assert (
        client.get("/essays/beyond-mutualism-and-towards-the-big-economy/").context["essay"]
        == essay
    )
    assert client.get("/authors/martien-kuitenbrouwer/").status_code == 200


def test_topic_urls_are_slugified_topic_names(client):
    EssayFactory(topics=["Social democracy", "Co-operatives"])

    assert client.get(f"/topics/{slugify('Social democracy')}/").status_code == 200
    assert client.get("/topics/co-operatives/").status_code == 200


@pytest.mark.parametrize(
    ("model", "fields", "source"),
    [
        (Essay, {"title": "Beyond “The Big Economy”: a reply", "standfirst": "S."}, "title"),
        (Series, {"title": "Mutualism: policy in austerity", "standfirst": "S."}, "title"),
        (Author, {"name": "Martien Kuitenbrouwer"}, "name"),
    ],
)
def test_saving_without_a_slug_fills_it_from_the_title_or_name(model, fields, source):
    item = model(**fields)
    if model is not Author:
        item.status = Status.DRAFT
    item.save()

    item.refresh_from_db()
    assert item.slug == slugify(fields[source])
