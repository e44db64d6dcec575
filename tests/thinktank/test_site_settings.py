"""Site settings edited in the admin change the name and tagline every page shows."""

import pytest
from django.apps import apps

from tests.helpers import elements, form_data, text_of

pytestmark = pytest.mark.django_db


def site_settings_model():
    (model,) = [model for model in apps.get_models() if model.__name__ == "SiteSettings"]
    return model


def admin_url(suffix):
    opts = site_settings_model()._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{suffix}"


def header_text(client):
    page = client.get("/").content.decode()
    (header,) = elements(page, "header", "site-header")
    return text_of(header)


def test_header_shows_default_site_name_and_tagline_before_any_edit(client):
    header = header_text(client)

    assert "Policy Network" in header
    assert "Leading international thinktank and political network" in header


def edit_site_settings(client, url, **fields):
    model_name = site_settings_model()._meta.model_name
    page = client.get(url)
    assert page.status_code == 200, url
    data = form_data(page, form_id=f"{model_name}_form")
    data.update(fields, _save="Save")
    return client.post(url, data)


def test_editor_changes_site_name_and_tagline_in_the_admin(client, editor):
    client.force_login(editor)

    response = edit_site_settings(
        client,
        admin_url("1/change/"),
        name="Mutual Aid Institute",
        tagline="Ideas for a co-operative economy",
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    client.logout()
    header = header_text(client)
    assert "Mutual Aid Institute" in header
    assert "Ideas for a co-operative economy" in header
    assert "Policy Network" not in header


def test_editor_can_set_the_site_name_on_a_fresh_site(client, editor):
    # Nobody has saved settings yet: the editor must still be able to, by change or by add.
    client.force_login(editor)
    change, add = admin_url("1/change/"), admin_url("add/")
    url = change if client.get(change).status_code == 200 else add

    response = edit_site_settings(client, url, name="Fresh Network")

    assert response.status_code == 302, response.context and response.context["errors"]
    assert "Fresh Network" in header_text(client)


def test_site_settings_list_opens_the_single_row_and_nobody_adds_another(client, admin_user):
    client.force_login(admin_user)

    response = client.get(admin_url(""))

    assert response.status_code == 302
    assert response["Location"] == admin_url("1/change/")
    assert client.get(admin_url("add/")).status_code == 403  # one row only
    assert site_settings_model().objects.count() == 1


def test_site_settings_row_comes_back_if_removed_by_hand(client, admin_user):
    site_settings_model().objects.all().delete()
    client.force_login(admin_user)

    response = edit_site_settings(client, client.get(admin_url(""))["Location"], name="Back")

    assert response.status_code == 302
    assert "Back" in header_text(client)


def test_contributor_cannot_change_site_settings(client, contributor):
    client.force_login(contributor)

    added = client.post(admin_url("add/"), {"name": "Hijacked", "_save": "Save"})
    changed = client.post(admin_url("1/change/"), {"name": "Hijacked", "_save": "Save"})

    assert added.status_code == 403
    assert changed.status_code == 403
    assert "Hijacked" not in header_text(client)
