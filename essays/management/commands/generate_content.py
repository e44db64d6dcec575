"""Bulk synthetic content for scale tests: `manage.py generate_content --essays 100000`."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from taggit.models import Tag

from essays import search
from essays.models import Author, Essay, EssayAuthor, TaggedEssay
from series.models import Series, Status, TaggedSeries

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
        run = f"{timezone.now():%Y%m%d%H%M%S}"
        author_count = authors or max(10, essays // 20)
        with transaction.atomic():
            tags = [Tag.objects.get_or_create(name=name)[0] for name in TOPICS]
            author_ids = self.make_authors(rng, run, author_count)
            series_ids = self.make_series(rng, run, max(1, essays // 40), tags)
        paragraphs = [self.paragraph(rng) for _ in range(64)]
        now = timezone.now()
        made = 0
        while made < essays:
            size = min(BATCH, essays - made)
            with transaction.atomic():
                self.make_essays(
                    rng, run, made, size, words, paragraphs, now, author_ids, series_ids, tags
                )
            made += size
            self.stdout.write(f"{made}/{essays} essays")
        self.stdout.write(self.style.SUCCESS(f"Generated {essays} essays, {author_count} authors."))

    def paragraph(self, rng):
        sentences = []
        for _ in range(rng.randint(3, 6)):
            sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 22)))
            sentences.append(sentence.capitalize() + ".")
        return " ".join(sentences)

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

    def make_series(self, rng, run, count, tags):
        now = timezone.now()
        series = Series.objects.bulk_create(
            [
                Series(
                    title=f"Series {i}: {' '.join(rng.choice(WORDS) for _ in range(4))}",
                    slug=f"series-{run}-{i}",
                    standfirst=self.paragraph(rng)[:300],
                    intro=f"<p>{self.paragraph(rng)}</p>",
                    status=Status.PUBLISHED,
                    published_at=now - timedelta(days=rng.randint(1, 3650)),
                )
                for i in range(count)
            ],
            batch_size=BATCH,
        )
        TaggedSeries.objects.bulk_create(
            [
                TaggedSeries(content_object=s, tag=tag)
                for s in series
                for tag in rng.sample(tags, 2)
            ],
            batch_size=BATCH,
        )
        series_ids = [s.pk for s in series]
        search.refresh_series(series_ids)
        return series_ids

    def make_essays(self, rng, run, start, size, words, paragraphs, now, authors, series, tags):
        per_paragraph = 80
        batch = []
        for i in range(start, start + size):
            body = "".join(
                f"<p>{rng.choice(paragraphs)}</p>" for _ in range(max(1, words // per_paragraph))
            )
            in_series = rng.random() < 0.3
            batch.append(
                Essay(
                    title=f"Essay {i}: {' '.join(rng.choice(WORDS) for _ in range(5))}",
                    slug=f"essay-{run}-{i}",
                    standfirst=self.paragraph(rng)[:280],
                    body=body,
                    word_count=words,
                    series_id=rng.choice(series) if in_series else None,
                    series_position=rng.randint(1, 40) if in_series else 0,
                    status=Status.PUBLISHED if rng.random() < 0.95 else Status.DRAFT,
                    published_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 3650)),
                )
            )
        created = Essay.objects.bulk_create(batch, batch_size=BATCH)
        bylines, tagged = [], []
        for essay in created:
            for position, author_id in enumerate(rng.sample(authors, rng.randint(1, 3)), 1):
                bylines.append(EssayAuthor(essay=essay, author_id=author_id, position=position))
            tagged += [TaggedEssay(content_object=essay, tag=t) for t in rng.sample(tags, 3)]
        EssayAuthor.objects.bulk_create(bylines, batch_size=BATCH)
        TaggedEssay.objects.bulk_create(tagged, batch_size=BATCH)
        # bulk_create sends no signals: fill the search documents for the batch at once.
        search.refresh_essays([essay.pk for essay in created])
