"""The essay admin for the two editorial roles: Editors publish, Contributors write drafts."""

import datetime as dt

import pytest
from django.utils import timezone

from essays.models import Essay
from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import form_data, image_upload, text_of

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/essays/essay/add/"
CHANGELIST_URL = "/admin/essays/essay/"


def change_url(essay):
    return f"/admin/essays/essay/{essay.pk}/change/"


def add_form(client, **fields):
    """Return the add page's form as a browser would submit it, with bylines and `fields`."""
    response = client.get(ADD_URL)
    assert response.status_code == 200
    data = form_data(response, form_id="essay_form")
    assert "bylines-TOTAL_FORMS" in data, "the byline inline's management form is missing"
    authors = fields.pop("authors", [])
    for index, author in enumerate(authors):
        data[f"bylines-{index}-author"] = str(author.pk)
        data[f"bylines-{index}-position"] = str(index + 1)
    data["bylines-TOTAL_FORMS"] = str(max(len(authors), int(data["bylines-TOTAL_FORMS"])))
    data.update(
        title="A new essay",
        slug="a-new-essay",
        standfirst="Its standfirst.",
        body="<p>Its body.</p>",
        topics="Housing, Pensions",
        **fields,
    )
    data["_save"] = "Save"
    return data


def change_form(client, essay, **fields):
    response = client.get(change_url(essay))
    assert response.status_code == 200
    data = form_data(response, form_id="essay_form")
    data.update(fields, _save="Save")
    return data


def bulk_action(client, action, essays):
    return client.post(
        CHANGELIST_URL,
        {"action": action, "_selected_action": [str(essay.pk) for essay in essays], "index": 0},
    )


def result_titles(response):
    return sorted(essay.title for essay in response.context["cl"].result_list)


# Editors


def test_editor_adds_an_essay_with_two_ordered_bylines(client, editor):
    second, first = AuthorFactory(name="Ben Williams"), AuthorFactory(name="Richard Todd")
    client.force_login(editor)

    response = client.post(ADD_URL, add_form(client, authors=[first, second]))

    assert response.status_code == 302, response.context and response.context["errors"]
    essay = Essay.objects.get(slug="a-new-essay")
    assert essay.byline_authors == [first, second]
    assert essay.status == Status.DRAFT
    assert sorted(essay.topics.names()) == ["Housing", "Pensions"]


def test_editor_can_publish_from_the_change_form(client, editor):
    essay = EssayFactory(title="To publish", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    data = change_form(client, essay, status=Status.PUBLISHED)
    data["published_at_0"] = data["published_at_1"] = ""

    response = client.post(change_url(essay), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    essay.refresh_from_db()
    assert essay.status == Status.PUBLISHED
    assert essay.published_at is not None
    assert client.get(essay.get_absolute_url()).status_code == 200


def test_editor_publishes_and_unpublishes_in_bulk(client, editor):
    drafts = [EssayFactory(status=Status.DRAFT, published_at=None) for _ in range(2)]
    untouched = EssayFactory(status=Status.DRAFT, published_at=None)
    client.force_login(editor)

    assert bulk_action(client, "publish", drafts).status_code == 302

    assert set(Essay.objects.published()) == set(drafts)
    untouched.refresh_from_db()
    assert untouched.status == Status.DRAFT

    assert bulk_action(client, "unpublish", drafts[:1]).status_code == 302

    assert list(Essay.objects.published()) == drafts[1:]
    assert Essay.objects.get(pk=drafts[0].pk).status == Status.DRAFT


def test_bulk_publish_keeps_a_scheduled_date(client, editor):
    when = timezone.now() + dt.timedelta(days=4)
    essay = EssayFactory(status=Status.DRAFT, published_at=when)
    client.force_login(editor)

    bulk_action(client, "publish", [essay])

    essay.refresh_from_db()
    assert essay.status == Status.PUBLISHED
    assert essay.published_at == when


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cooperative", ["Cooperative banking"]),
        ("allotments", ["Land reform"]),
        ("Kuitenbrouwer", ["Mutual councils"]),
    ],
)
def test_essay_changelist_searches_title_standfirst_and_author_name(
    client, editor, query, expected
):
    EssayFactory(title="Cooperative banking", standfirst="About banks.")
    EssayFactory(title="Land reform", standfirst="Why allotments matter.")
    EssayFactory(title="Mutual councils", authors=[AuthorFactory(name="Martien Kuitenbrouwer")])
    client.force_login(editor)

    response = client.get(CHANGELIST_URL, {"q": query})

    assert response.status_code == 200
    assert result_titles(response) == expected


def test_essay_changelist_filters_render_and_filter(client, editor):
    series = SeriesFactory(title="Filter series")
    author = AuthorFactory(name="Filter Author")
    in_series = EssayFactory(title="In series", series=series, topics=["Housing"])
    EssayFactory(title="By author", authors=[author], status=Status.DRAFT)
    client.force_login(editor)

    response = client.get(CHANGELIST_URL)
    assert response.status_code == 200
    filter_titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert filter_titles == ["status", "series", "topics", "authors"]
    page = text_of(response)
    for choice in ("Draft", "Published", "Filter series", "Housing", "Filter Author"):
        assert choice in page

    tag_id = in_series.topics.get().pk
    filters = {
        "status__exact": (Status.DRAFT, ["By author"]),
        "series__id__exact": (series.pk, ["In series"]),
        "topics__id__exact": (tag_id, ["In series"]),
        "authors__id__exact": (author.pk, ["By author"]),
    }
    for parameter, (value, expected) in filters.items():
        filtered = client.get(CHANGELIST_URL, {parameter: value})
        assert filtered.status_code == 200, parameter
        assert result_titles(filtered) == expected, parameter


def test_editor_uploads_a_hero_image_through_the_admin(client, editor):
    client.force_login(editor)
    data = add_form(client, authors=[AuthorFactory()], hero_alt="A red field")
    data["hero_image"] = image_upload("hero.jpg", (1200, 600))

    response = client.post(ADD_URL, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    essay = Essay.objects.get(slug="a-new-essay")
    assert (essay.hero_width, essay.hero_height) == (1200, 600)
    assert essay.hero_renditions["sources"]


def test_admin_refuses_a_hero_image_without_alt_text(client, editor):
    client.force_login(editor)
    data = add_form(client, authors=[AuthorFactory()], hero_alt="")
    data["hero_image"] = image_upload("hero.jpg", (1200, 600))

    response = client.post(ADD_URL, data)

    assert response.status_code == 200
    assert "hero_alt" in response.context["adminform"].form.errors
    assert not Essay.objects.exists()


# Contributors


def test_contributor_creates_a_draft(client, contributor):
    author = AuthorFactory()
    client.force_login(contributor)

    response = client.post(ADD_URL, add_form(client, authors=[author]))

    assert response.status_code == 302, response.context and response.context["errors"]
    essay = Essay.objects.get(slug="a-new-essay")
    assert essay.status == Status.DRAFT
    assert essay.byline_authors == [author]


def test_contributor_cannot_see_the_publishing_fields_as_editable(client, contributor):
    client.force_login(contributor)

    form = client.get(ADD_URL).context["adminform"].form

    assert "status" not in form.fields
    assert "published_at" not in form.fields


def test_contributor_crafted_post_cannot_publish_a_new_essay(client, contributor):
    client.force_login(contributor)
    data = add_form(client, authors=[AuthorFactory()], status=Status.PUBLISHED)
    data["published_at_0"] = "2020-01-01"
    data["published_at_1"] = "09:00:00"

    client.post(ADD_URL, data)

    essay = Essay.objects.get(slug="a-new-essay")
    assert essay.status == Status.DRAFT
    assert essay.published_at is None
    assert not Essay.objects.published().exists()


def test_contributor_edits_a_draft_but_a_crafted_post_cannot_publish_it(client, contributor):
    essay = EssayFactory(title="Work in progress", status=Status.DRAFT, published_at=None)
    client.force_login(contributor)
    data = change_form(client, essay, title="Work in progress, revised")
    data.update(status=Status.PUBLISHED, published_at_0="2020-01-01", published_at_1="09:00")

    response = client.post(change_url(essay), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    essay.refresh_from_db()
    assert essay.title == "Work in progress, revised"
    assert essay.status == Status.DRAFT
    assert essay.published_at is None


def test_contributor_cannot_change_a_published_essay(client, contributor):
    essay = EssayFactory(title="Already out")
    client.force_login(contributor)

    page = client.get(change_url(essay))
    assert page.status_code in {200, 403}
    if page.status_code == 200:  # a read-only view, with nothing to save
        assert not page.context["has_change_permission"]
        assert 'name="_save"' not in page.content.decode()

    data = {"title": "Defaced", "slug": essay.slug, "standfirst": "x", "_save": "Save"}
    response = client.post(change_url(essay), data)

    assert response.status_code == 403
    essay.refresh_from_db()
    assert essay.title == "Already out"


def test_contributor_cannot_delete_a_published_essay(client, contributor):
    essay = EssayFactory()
    client.force_login(contributor)

    response = client.post(f"/admin/essays/essay/{essay.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Essay.objects.filter(pk=essay.pk).exists()


def test_contributor_is_not_offered_the_bulk_publish_actions(client, contributor):
    EssayFactory(status=Status.DRAFT)
    client.force_login(contributor)

    response = client.get(CHANGELIST_URL)

    assert response.status_code == 200
    action_form = response.context["action_form"]
    offered = [] if action_form is None else [c[0] for c in action_form.fields["action"].choices]
    assert "publish" not in offered
    assert "unpublish" not in offered


def test_contributor_bulk_publish_post_publishes_nothing(client, contributor):
    drafts = [EssayFactory(status=Status.DRAFT, published_at=None) for _ in range(2)]
    client.force_login(contributor)

    bulk_action(client, "publish", drafts)

    assert not Essay.objects.published().exists()
    assert all(essay.status == Status.DRAFT for essay in Essay.objects.all())


def test_contributor_bulk_unpublish_post_unpublishes_nothing(client, contributor):
    published = EssayFactory()
    client.force_login(contributor)

    bulk_action(client, "unpublish", [published])

    assert list(Essay.objects.published()) == [published]
