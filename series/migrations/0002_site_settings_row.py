"""Create the one site-settings row, so staff edit it rather than create it."""

from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("series", "SiteSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("series", "0001_initial")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
