"""PostgreSQL triggers that move the content version on for any change to content.

Django's signals count the changes made through models; these count the rest: a fix made
in psql, a data migration, a queryset `update()`. One trigger per statement on every
table of the content apps moves the version on and recomputes when the next scheduled
item goes live, as `thinktank.pagecache.content_changed` does. App servers notice within
PAGE_CACHE_CLOCK_TRUST seconds (they re-read the version at least that often).

A content table added later needs its trigger in a migration of its own: a test lists
the tables of the content apps and fails on one without it.
"""

from django.db import migrations

CONTENT_APPS = ["series", "essays", "taggit", "redirects", "sites"]

FUNCTION = """
CREATE OR REPLACE FUNCTION thinktank_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE thinktank_contentversion SET
        version = version + 1,
        changed_at = GREATEST(
            changed_at + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
        ),
        next_change_at = (
            SELECT (extract(epoch FROM min(at)) * 1000000)::bigint FROM (
                SELECT min(published_at) AS at FROM series_series
                 WHERE status = 'published' AND published_at > statement_timestamp()
                UNION ALL
                SELECT min(published_at) FROM essays_essay
                 WHERE status = 'published' AND published_at > statement_timestamp()
            ) AS scheduled
        )
    WHERE id = 1;
    RETURN NULL;
END
$$
"""


def content_tables(apps):
    return sorted(
        {
            model._meta.db_table
            for label in CONTENT_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite, the embedded default, serves one process: the signals suffice
    schema_editor.execute(FUNCTION)
    for table in content_tables(apps):
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER thinktank_content_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema_editor.quote_name(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION thinktank_content_changed()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in content_tables(apps):
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS thinktank_content_changed ON {schema_editor.quote_name(table)}"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS thinktank_content_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("thinktank", "0001_content_version"),
        ("series", "0005_listing_indexes"),
        ("essays", "0007_listing_indexes"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("redirects", "0002_alter_redirect_new_path_help_text"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
