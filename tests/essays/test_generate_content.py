"""`manage.py generate_content`: synthetic content for scale tests, written in bulk.

On PostgreSQL the command COPYs rows in and computes search documents set-based, from
paragraph vectors; a saved essay gets its document from essays.search. They must be the
same document, or search at scale would be measured on something readers never get.
"""

import itertools

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from essays import pagination, search
from essays.management.commands import generate_content
from essays.models import Author, Essay, EssayAuthor
from essays.views import ideas_sources
from series.models import Series, Status
from series.richtext import sanitize_html, word_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_postgres():
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL)"


def generate(essays=60, **options):
    call_command("generate_content", essays=essays, words=400, verbosity=0, **options)


def assert_documents_are_what_a_save_stores():
    fresh = Essay.objects.annotate(fresh=search.essay_document()).values_list(
        "pk", "search_document", "fresh"
    )
    differing = [pk for pk, stored, expected in fresh if stored != expected]
    assert not differing, f"{len(differing)} essays' documents differ, e.g. {differing[:3]}"
    series = Series.objects.annotate(fresh=search.series_document()).values_list(
        "search_document", "fresh"
    )
    assert all(stored == expected for stored, expected in series)


@pytest.mark.usefixtures("on_postgres")
def test_bulk_written_search_documents_equal_what_saving_each_essay_stores():
    generate()

    assert Essay.objects.filter(search_document__isnull=True).count() == 0
    assert_documents_are_what_a_save_stores()


@pytest.mark.usefixtures("on_postgres")
def test_documents_stay_equal_when_the_demo_content_was_loaded_first():
    call_command("load_demo_content", verbosity=0)
    generate()
    call_command("load_demo_content", verbosity=0)  # still idempotent

    assert_documents_are_what_a_save_stores()
    assert Essay.objects.filter(slug="the-new-wave-of-mutuality").count() == 1


@pytest.mark.usefixtures("on_postgres")
def test_the_bulk_writer_and_the_orm_writer_make_the_same_content(monkeypatch):
    generate(seed=7)
    copied = content_summary()
    Essay.objects.all().delete()
    Series.objects.all().delete()
    Author.objects.all().delete()
    monkeypatch.setattr(generate_content, "CopyWriter", generate_content.OrmWriter)

    generate(seed=7)

    assert content_summary() == copied
    assert_documents_are_what_a_save_stores()  # refreshed after bulk_create, as a save does


def content_summary():
    return sorted(
        Essay.objects.annotate(authors_count=Count("bylines"), topics_count=Count("topics"))
        .values_list("title", "word_count", "status", "authors_count", "topics_count")
        .order_by()
    )


def test_essays_have_one_to_three_authors_three_topics_and_real_word_counts():
    generate(essays=80)

    essays = Essay.objects.annotate(authors_count=Count("bylines", distinct=True))
    assert essays.count() == 80
    assert {e.authors_count for e in essays} <= {1, 2, 3}
    assert all(e.topics.count() == 3 for e in essays[:10])
    for essay in essays[:10]:  # what Essay.save() would count
        assert essay.word_count == word_count(essay.standfirst) + word_count(
            sanitize_html(essay.body)
        )
        assert 300 <= essay.word_count <= 600
    assert Essay.objects.filter(status=Status.PUBLISHED).count() > 60
    assert Essay.objects.exclude(series=None).exists()
    assert EssayAuthor.objects.filter(position=1).count() == 80


def test_running_twice_adds_more_essays_with_unique_slugs():
    generate(essays=30)
    generate(essays=30)

    assert Essay.objects.count() == 60
    assert Essay.objects.values("slug").distinct().count() == 60


def newest_page_kinds():
    window = pagination.window(ideas_sources())
    return [kind for kind, _ in window.entries]


@pytest.mark.parametrize("essays", [100, 1000])
def test_work_goes_out_at_a_steady_pace_so_the_newest_page_looks_alike_at_any_size(essays):
    # A scale run compares the same page at two archive sizes: it must hold the same mix.
    generate(essays=essays)

    published = Essay.objects.order_by("-published_at").values_list("published_at", flat=True)
    gaps = {round((new - old).total_seconds()) for new, old in itertools.pairwise(published)}
    kinds = newest_page_kinds()

    assert len(gaps) == 1, "one essay per interval"
    assert kinds.count("series") == 1, kinds
    assert len(kinds) == pagination.PAGE_SIZE
