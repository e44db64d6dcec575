"""Create the Editor and Contributor groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = {
    "essays": ["add_essay", "change_essay", "delete_essay", "view_essay", "publish_essay",
               "add_author", "change_author", "delete_author", "view_author",
               "add_essayauthor", "change_essayauthor", "delete_essayauthor", "view_essayauthor",
               "add_taggedessay", "change_taggedessay", "delete_taggedessay", "view_taggedessay"],
    "series": ["add_series", "change_series", "delete_series", "view_series", "publish_series",
               "add_taggedseries", "change_taggedseries", "delete_taggedseries",
               "view_taggedseries", "change_sitesettings", "view_sitesettings"],
    "taggit": ["add_tag", "change_tag", "delete_tag", "view_tag"],
}
CONTRIBUTOR_PERMISSIONS = {
    "essays": ["add_essay", "change_essay", "view_essay",
               "add_author", "change_author", "view_author",
               "add_essayauthor", "change_essayauthor", "delete_essayauthor", "view_essayauthor",
               "add_taggedessay", "change_taggedessay", "delete_taggedessay", "view_taggedessay"],
    "series": ["view_series"],
    "taggit": ["add_tag", "view_tag"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in (("Editor", EDITOR_PERMISSIONS), ("Contributor", CONTRIBUTOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in wanted.items():
            permissions = Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
            assert permissions.count() == len(codenames), (app_label, codenames)
            group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Contributor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("essays", "0002_initial"),
        ("series", "0001_initial"),
        ("taggit", "__latest__"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
