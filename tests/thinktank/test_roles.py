"""Editorial roles come from a data migration: Editor publishes, Contributor drafts."""

import pytest
from django.contrib.auth.models import Group, Permission

pytestmark = pytest.mark.django_db

PUBLISH_PERMISSIONS = {("essays", "publish_essay"), ("series", "publish_series")}


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    return {
        (app_label, codename)
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_editor_and_contributor_groups_exist_after_migrate():
    assert {"Editor", "Contributor"} <= set(Group.objects.values_list("name", flat=True))


def test_only_editors_hold_the_publish_permissions():
    assert codenames("Editor") >= PUBLISH_PERMISSIONS
    assert not PUBLISH_PERMISSIONS & codenames("Contributor")
    for app_label, codename in PUBLISH_PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        assert list(permission.group_set.values_list("name", flat=True)) == ["Editor"]


def test_contributors_may_write_but_not_delete_essays():
    granted = codenames("Contributor")

    assert {("essays", "add_essay"), ("essays", "change_essay")} <= granted
    assert ("essays", "delete_essay") not in granted
    assert ("series", "change_series") not in granted


def test_editor_has_publish_permission_through_the_group(editor, contributor):
    assert editor.has_perm("essays.publish_essay")
    assert editor.has_perm("series.publish_series")
    assert not contributor.has_perm("essays.publish_essay")
    assert not contributor.has_perm("series.publish_series")
