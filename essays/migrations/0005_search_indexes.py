"""GIN indexes on the stored search documents, and a first fill (PostgreSQL only).

Kept out of Meta.indexes because SQLite, the embedded default, has no GIN.
"""

from django.db import migrations

ESSAY_DOCUMENT = """
UPDATE essays_essay AS e SET search_document =
    setweight(to_tsvector('english', coalesce(e.title, '')), 'A')
 || setweight(to_tsvector('english', coalesce(e.standfirst, '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(a.name, ' ') FROM essays_essayauthor ea
        JOIN essays_author a ON a.id = ea.author_id WHERE ea.essay_id = e.id), '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.name, ' ') FROM essays_taggedessay te
        JOIN taggit_tag t ON t.id = te.tag_id WHERE te.content_object_id = e.id), '')), 'B')
 || setweight(to_tsvector('english', coalesce(e.body, '')), 'C')
"""
SERIES_DOCUMENT = """
UPDATE series_series AS s SET search_document =
    setweight(to_tsvector('english', coalesce(s.title, '')), 'A')
 || setweight(to_tsvector('english', coalesce(s.standfirst, '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.name, ' ') FROM series_taggedseries ts
        JOIN taggit_tag t ON t.id = ts.tag_id WHERE ts.content_object_id = s.id), '')), 'B')
 || setweight(to_tsvector('english', coalesce(s.intro, '')), 'C')
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS essay_search_gin ON essays_essay USING gin (search_document)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS series_search_gin ON series_series USING gin (search_document)"
    )
    schema_editor.execute(ESSAY_DOCUMENT)
    schema_editor.execute(SERIES_DOCUMENT)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS essay_search_gin")
        schema_editor.execute("DROP INDEX IF EXISTS series_search_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("essays", "0004_search_document"),
        ("series", "0003_search_document"),
        ("taggit", "__latest__"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
