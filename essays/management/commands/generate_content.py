"""Bulk synthetic content for scale tests: `manage.py generate_content --essays 100000`.

Rows are made in Python from a seeded random generator, then written in batches: with
COPY on PostgreSQL, with `bulk_create` elsewhere (SQLite, for small runs). The same seed
gives the same content on either database.

On PostgreSQL each batch also gets its search documents in one UPDATE, built from the
same expression `essays.search` uses for a saved essay. Parsing a body of a few thousand
words costs milliseconds, most of the time a naive run takes, so bodies are made of
paragraphs drawn from a small pool whose vectors are parsed once: a body's vector is the
concatenation of its paragraphs' vectors, which is the vector of the whole body (tags
between paragraphs hold no words, and each paragraph ends on a word), so the documents
are the ones a save would store. tests/essays/test_generate_content.py checks this.
"""

import io
import json
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.search import SearchVectorCombinable, SearchVectorField
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from taggit.models import Tag

from essays import search
from essays.models import Author, Essay, EssayAuthor, TaggedEssay
from series.models import Series, Status, TaggedSeries
from series.richtext import word_count
from series.signals import content_changed_in_bulk

WORDS = (
    "policy reform public services mutual ownership community wealth economy democracy "
    "labour market welfare state housing local councils finance investment cooperation "
    "inequality growth productivity climate transition employment skills education health "
    "care pensions taxation regulation governance accountability citizens institutions "
    "europe trade industry innovation regions devolution austerity recovery social "
    "solidarity markets enterprise employees stake proceeds providers users control"
).split()
FIRST = "Alex Sam Jo Chris Robin Morgan Jamie Taylor Casey Jordan Ali Priya Mei Tomas".split()
LAST = "Murray Guinan Lent Davies Painter Stephenson Todd Williams Okafor Novak".split()
TOPICS = [
    "Economy", "Public services", "Mutualism", "Co-operatives", "Housing", "Health",
    "Education", "Climate", "Europe", "Local government", "Finance", "Employment",
    "Welfare", "Democracy", "Trade", "Industry", "Social democracy", "Taxation",
]  # fmt: skip
BATCH = 2000
PARAGRAPHS = 64
DRAFT_SHARE = 0.05
SERIES_SHARE = 0.3
YEARS = 10
# Work goes out at a steady pace over YEARS, newest first: essay i went out i + 1/2
# intervals ago, and a series every SERIES_EVERY intervals. So the newest pages (and the
# oldest) hold the same mix of series and essays at any archive size, and a scale run
# compares the same pages at 100 essays and at 100,000. Random dates gave a 100-essay
# archive's two series a chance of a place on its first page, and 100,000 essays' 2,500
# a certainty.
SERIES_EVERY = 40


@dataclass(frozen=True)
class EssayRow:
    """One synthetic essay: its fields, and its bylines and topics by id."""

    title: str
    slug: str
    standfirst: str
    paragraphs: tuple[int, ...]  # indexes into the run's paragraph pool, in body order
    series_id: int | None
    series_position: int
    status: str
    published_at: datetime
    author_ids: tuple[int, ...]  # byline order
    tag_ids: tuple[int, ...]


class Command(BaseCommand):
    help = (
        "Generate synthetic essays (1 to 3 authors, series, topics, long bodies) with bulk inserts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--essays", type=int, required=True)
        parser.add_argument("--authors", type=int, default=None)
        parser.add_argument("--words", type=int, default=2500, help="Body length in words.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, essays, authors, words, seed, **options):
        rng = random.Random(seed)
        run = f"{timezone.now():%Y%m%d%H%M%S%f}"  # slugs unique across runs
        author_count = authors or max(10, essays // 20)
        now = timezone.now()
        interval = timedelta(days=365 * YEARS) / essays
        with transaction.atomic():
            tag_ids = [Tag.objects.get_or_create(name=name)[0].pk for name in TOPICS]
            author_ids = self.make_authors(rng, run, author_count)
            series_count = max(1, essays // SERIES_EVERY)
            series_ids = self.make_series(rng, run, series_count, tag_ids, now, interval)
        series = {
            series_id: rng.sample(author_ids, min(len(author_ids), rng.randint(4, 8)))
            for series_id in series_ids
        }
        pool = [self.paragraph(rng) for _ in range(PARAGRAPHS)]
        writer = (CopyWriter if connection.vendor == "postgresql" else OrmWriter)(pool)
        per_body = max(1, round(words / statistics.mean(writer.words)))
        made = 0
        while made < essays:
            rows = [
                self.essay_row(
                    rng, run, i, per_body, now - interval * (i + 0.5), author_ids, series, tag_ids
                )
                for i in range(made, min(essays, made + BATCH))
            ]
            with transaction.atomic():
                writer.write(rows)
            made += len(rows)
            self.stdout.write(f"{made}/{essays} essays")
        writer.finish()
        # Bulk inserts send no model signal: say so, or cached pages would not show them.
        content_changed_in_bulk.send(sender=Essay)
        self.stdout.write(self.style.SUCCESS(f"Generated {essays} essays, {author_count} authors."))

    def paragraph(self, rng):
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(10, 22))).capitalize() + "."
            for _ in range(rng.randint(3, 6))
        ]
        return " ".join(sentences)

    def essay_row(self, rng, run, i, per_body, published_at, author_ids, series, tag_ids):
        series_id = rng.choice(list(series)) if rng.random() < SERIES_SHARE else None
        # A series has its regular contributors; other essays are by anyone.
        authors = series[series_id] if series_id else author_ids
        return EssayRow(
            title=f"Essay {i}: {' '.join(rng.choices(WORDS, k=5))}",
            slug=f"essay-{run}-{i}",
            standfirst=self.paragraph(rng)[:280].rstrip(),
            paragraphs=tuple(rng.choices(range(PARAGRAPHS), k=per_body)),
            series_id=series_id,
            series_position=rng.randint(1, 40) if series_id else 0,
            status=Status.DRAFT if rng.random() < DRAFT_SHARE else Status.PUBLISHED,
            published_at=published_at,
            author_ids=tuple(rng.sample(authors, min(len(authors), rng.randint(1, 3)))),
            tag_ids=tuple(rng.sample(tag_ids, 3)),
        )

    def make_authors(self, rng, run, count):
        authors = [
            Author(
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                slug=f"author-{run}-{i}",
                role="Fellow, Policy Network",
                bio="<p>A synthetic author for scale tests.</p>",
            )
            for i in range(count)
        ]
        return [a.pk for a in Author.objects.bulk_create(authors, batch_size=BATCH)]

    def make_series(self, rng, run, count, tag_ids, now, interval):
        series = Series.objects.bulk_create(
            [
                Series(
                    title=f"Series {i}: {' '.join(rng.choices(WORDS, k=4))}",
                    slug=f"series-{run}-{i}",
                    standfirst=self.paragraph(rng)[:300],
                    intro=f"<p>{self.paragraph(rng)}</p>",
                    status=Status.PUBLISHED,
                    published_at=now - interval * (SERIES_EVERY * i + SERIES_EVERY // 2),
                )
                for i in range(count)
            ],
            batch_size=BATCH,
        )
        TaggedSeries.objects.bulk_create(
            [
                TaggedSeries(content_object=s, tag_id=tag_id)
                for s in series
                for tag_id in rng.sample(tag_ids, 2)
            ],
            batch_size=BATCH,
        )
        series_ids = [s.pk for s in series]
        analyze(Series, TaggedSeries)  # else the documents' topic lookups scan whole tables
        search.refresh_series(series_ids)
        return series_ids


class Writer:
    """Write batches of `EssayRow`s; `pool` is the run's paragraphs, in index order."""

    def __init__(self, pool):
        self.pool = pool
        self.html = [f"<p>{text}</p>" for text in pool]
        self.words = [word_count(text) for text in pool]

    def body(self, row):
        return "".join(self.html[i] for i in row.paragraphs)

    def word_count(self, row):
        # What Essay.save() counts: the standfirst's words and the body's. Its count of
        # the body joins the last word of a paragraph to the first of the next (the tags
        # between them go, no space comes), one word fewer per paragraph break.
        body = sum(self.words[i] for i in row.paragraphs) - (len(row.paragraphs) - 1)
        return word_count(row.standfirst) + body

    def write(self, rows):
        raise NotImplementedError

    def finish(self):
        pass


class OrmWriter(Writer):
    """Any database: bulk_create. Fine for the small runs SQLite is used for."""

    def write(self, rows):
        now = timezone.now()
        essays = Essay.objects.bulk_create(
            [
                Essay(
                    title=row.title,
                    slug=row.slug,
                    standfirst=row.standfirst,
                    body=self.body(row),
                    word_count=self.word_count(row),
                    series_id=row.series_id,
                    series_position=row.series_position,
                    status=row.status,
                    published_at=row.published_at,
                    created_at=now,
                    updated_at=now,
                )
                for row in rows
            ]
        )
        EssayAuthor.objects.bulk_create(
            EssayAuthor(essay=essay, author_id=author_id, position=position)
            for essay, row in zip(essays, rows, strict=True)
            for position, author_id in enumerate(row.author_ids, start=1)
        )
        TaggedEssay.objects.bulk_create(
            TaggedEssay(content_object=essay, tag_id=tag_id)
            for essay, row in zip(essays, rows, strict=True)
            for tag_id in row.tag_ids
        )
        # bulk_create sends no signals: fill the batch's search documents (PostgreSQL only).
        search.refresh_essays([essay.pk for essay in essays])


class GeneratedBodyVector(SearchVectorCombinable, RawSQL):
    """SQL: an essay's body vector (weight C), the concatenation of its paragraphs' vectors."""

    def __init__(self):
        super().__init__(
            """setweight((
                SELECT pg_temp.tsvector_concat_agg(paragraph.vector ORDER BY part.position)
                FROM generated_body AS body
                CROSS JOIN unnest(body.paragraphs) WITH ORDINALITY AS part(number, position)
                JOIN generated_paragraph AS paragraph ON paragraph.number = part.number
                WHERE body.essay_id = essays_essay.id
            ), 'C')""",
            (),
            output_field=SearchVectorField(),
        )


class CopyWriter(Writer):
    """PostgreSQL: COPY the rows in, then one UPDATE for the batch's search documents."""

    def __init__(self, pool):
        super().__init__(pool)
        self.batches = 0
        with connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    # Bodies are most of the bytes written: lz4 compresses them about three
                    # times faster than the default, pglz. Both read back the same.
                    cursor.execute("SET default_toast_compression = lz4")
            except DatabaseError:
                pass  # a server built without lz4 keeps its default
            # Session-scoped helpers: gone when the command's connection closes.
            cursor.execute(
                "CREATE OR REPLACE AGGREGATE pg_temp.tsvector_concat_agg(tsvector) "
                "(SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '')"
            )
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS generated_paragraph "
                "(number smallint PRIMARY KEY, vector tsvector NOT NULL)"
            )
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS generated_body "
                "(essay_id bigint PRIMARY KEY, paragraphs smallint[] NOT NULL)"
            )
            cursor.execute("TRUNCATE generated_paragraph")
            cursor.executemany(
                "INSERT INTO generated_paragraph VALUES (%s, to_tsvector(%s, %s))",
                [(number, search.CONFIG, text) for number, text in enumerate(self.pool)],
            )

    def write(self, rows):
        ids = self.reserve_ids(Essay, len(rows))
        now = timezone.now()
        copy_rows(
            Essay,
            [
                {
                    "id": essay_id,
                    "title": row.title,
                    "slug": row.slug,
                    "standfirst": row.standfirst,
                    "body": self.body(row),
                    "word_count": self.word_count(row),
                    "series_id": row.series_id,
                    "series_position": row.series_position,
                    "status": row.status,
                    "published_at": row.published_at,
                    "created_at": now,
                    "updated_at": now,
                }
                for essay_id, row in zip(ids, rows, strict=True)
            ],
        )
        copy_rows(
            EssayAuthor,
            [
                {"essay_id": essay_id, "author_id": author_id, "position": position}
                for essay_id, row in zip(ids, rows, strict=True)
                for position, author_id in enumerate(row.author_ids, start=1)
            ],
        )
        copy_rows(
            TaggedEssay,
            [
                {"content_object_id": essay_id, "tag_id": tag_id}
                for essay_id, row in zip(ids, rows, strict=True)
                for tag_id in row.tag_ids
            ],
        )
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE generated_body")
            copy_text(
                cursor,
                "generated_body (essay_id, paragraphs)",
                (
                    f"{essay_id}\t{{{','.join(map(str, row.paragraphs))}}}\n"
                    for essay_id, row in zip(ids, rows, strict=True)
                ),
            )
            self.batches += 1
            # Planner statistics (autovacuum may be off, or behind): without them the
            # UPDATE's lookups of bylines and topics turn into scans of whole tables.
            # Whenever the tables have doubled is often enough.
            cursor.execute("ANALYZE generated_body")
        if self.batches & (self.batches - 1) == 0:
            analyze(Essay, EssayAuthor, TaggedEssay, Author)
        Essay.objects.filter(pk__in=ids).update(
            search_document=search.essay_document(body_vector=GeneratedBodyVector())
        )

    @staticmethod
    def reserve_ids(model, count):
        """Return `count` fresh primary keys from the table's own sequence."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def finish(self):
        # Planner statistics and the visibility map for what was just written, so the
        # site's first requests get index (only) scans rather than plans for empty tables.
        models = (Essay, EssayAuthor, TaggedEssay, Author, Series, TaggedSeries)
        if connection.in_atomic_block:  # called inside a transaction (tests): no VACUUM
            analyze(*models)
            return
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def analyze(*models):
    """Refresh the planner's statistics for these tables (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(m._meta.db_table for m in models)}")


def copy_rows(model, rows):
    """COPY `rows` (dicts of attname to value) into `model`'s table.

    Columns a row does not name get the field's default, so a new field with a default
    needs no change here; a primary key it does not name comes from the table's sequence.
    """
    if not rows:
        return
    given = rows[0].keys()
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk or pk.attname in given]
    defaults = {f.attname: copy_value(f.get_default()) for f in fields if f.attname not in given}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = f"{connection.ops.quote_name(model._meta.db_table)} ({columns})"
    lines = (
        "\t".join(
            copy_value(row[f.attname]) if f.attname in given else defaults[f.attname]
            for f in fields
        )
        + "\n"
        for row in rows
    )
    with connection.cursor() as cursor:
        copy_text(cursor, table, lines)


_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_value(value):
    """Return `value` in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    for char, escaped in _COPY_ESCAPES:
        if char in text:  # str.replace is fast; a translate table is slow on long bodies
            text = text.replace(char, escaped)
    return text


def copy_text(cursor, target, lines):
    """COPY text-format `lines` into `target` ("table (columns)") over `cursor`."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    cursor.cursor.copy_expert(f"COPY {target} FROM STDIN", buffer)
