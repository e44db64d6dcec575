"""The series admin: its essays inline, in reading order, reordered by editing positions."""

import pytest

from essays.models import Essay
from series.models import Series, Status
from tests.factories import EssayFactory, SeriesFactory
from tests.helpers import form_data, positions, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def series_with_essays():
    series = SeriesFactory(title="Ordered series")
    # Created out of order, so database order and reading order differ.
    for title, position in [("Part two", 2), ("Part three", 3), ("Part one", 1)]:
        EssayFactory(title=title, series=series, series_position=position)
    return series


CHANGELIST_URL = "/admin/series/series/"


def change_url(series):
    return f"/admin/series/series/{series.pk}/change/"


def test_series_admin_shows_its_essays_inline_in_reading_order(client, editor, series_with_essays):
    client.force_login(editor)

    response = client.get(change_url(series_with_essays))

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    titles = [form.instance.title for form in inline.formset.forms]
    assert titles == ["Part one", "Part two", "Part three"]
    one, two, three = positions(text_of(response), ["Part one", "Part two", "Part three"])
    assert one < two < three


def test_saving_new_positions_in_the_series_admin_reorders_the_series_page(
    client, editor, series_with_essays
):
    client.force_login(editor)
    data = form_data(client.get(change_url(series_with_essays)), form_id="series_form")
    new_positions = {"Part one": 3, "Part two": 1, "Part three": 2}
    for index in range(int(data["essays-TOTAL_FORMS"])):
        essay = Essay.objects.get(pk=data[f"essays-{index}-id"])
        data[f"essays-{index}-series_position"] = str(new_positions[essay.title])

    response = client.post(change_url(series_with_essays), {**data, "_save": "Save"})

    assert response.status_code == 302, response.context and response.context["errors"]
    page = text_of(client.get(series_with_essays.get_absolute_url()))
    two, three, one = positions(page, ["Part two", "Part three", "Part one"])
    assert two < three < one


def test_editor_publishes_and_unpublishes_series_in_bulk(client, editor):
    drafts = [SeriesFactory(status=Status.DRAFT, published_at=None) for _ in range(2)]
    client.force_login(editor)
    selected = [str(series.pk) for series in drafts]

    client.post(CHANGELIST_URL, {"action": "publish", "_selected_action": selected})

    assert set(Series.objects.published()) == set(drafts)

    client.post(CHANGELIST_URL, {"action": "unpublish", "_selected_action": selected[:1]})

    assert list(Series.objects.published()) == drafts[1:]


def test_contributor_cannot_change_or_publish_a_series(client, contributor):
    series = SeriesFactory(title="Editors only", status=Status.DRAFT, published_at=None)
    client.force_login(contributor)

    response = client.post(change_url(series), {"title": "Changed", "_save": "Save"})
    client.post(CHANGELIST_URL, {"action": "publish", "_selected_action": [str(series.pk)]})

    assert response.status_code == 403
    series.refresh_from_db()
    assert series.title == "Editors only"
    assert series.status == Status.DRAFT
