"""Load the seed site's Mutualism series: idempotent, running it twice changes nothing."""

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.html import escape
from django.utils.text import slugify

from essays.models import Author, Essay, EssayAuthor
from series.models import Series, Status

SEED = Path(__file__).resolve().parents[2] / "demo" / "mutualism.json"


class Command(BaseCommand):
    help = "Load the demo content: the Mutualism series, its eight essays and nine authors."

    @transaction.atomic
    def handle(self, *args, **options):
        seed = json.loads(SEED.read_text(encoding="utf-8"))
        created = []
        series = self.load_series(seed["series"], created)
        published_at = series.published_at
        for position, data in enumerate(seed["essays"], start=1):
            self.load_essay(
                data, series, position, published_at + timedelta(days=position), created
            )
        if created:
            kinds = Counter(kind for kind, _slug in created)
            summary = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded demo content: {summary}."))
        else:
            self.stdout.write("Demo content already loaded; nothing changed.")

    def load_series(self, data, created):
        series, is_new = Series.objects.get_or_create(
            slug=slugify(data["title"]),
            defaults={
                "title": data["title"],
                "standfirst": data["standfirst"],
                "intro": "".join(f"<p>{escape(paragraph)}</p>" for paragraph in data["intro"]),
                "status": Status.PUBLISHED,
                "published_at": datetime.fromisoformat(data["published_at"]),
            },
        )
        if is_new:
            series.topics.set(data["topics"])
            created.append(("series", series.slug))
        return series

    def load_essay(self, data, series, position, published_at, created):
        # The seed has no essay bodies; the standfirst opens the essay and nothing is invented.
        essay, is_new = Essay.objects.get_or_create(
            slug=slugify(data["title"]),
            defaults={
                "title": data["title"],
                "standfirst": data["standfirst"],
                "body": f"<p>{escape(data['standfirst'])}</p>",
                "series": series,
                "series_position": position,
                "status": Status.PUBLISHED,
                "published_at": published_at,
            },
        )
        if not is_new:
            return
        created.append(("essays", essay.slug))
        essay.topics.set(data["topics"])
        for byline_position, name in enumerate(data["authors"], start=1):
            author, author_is_new = Author.objects.get_or_create(
                slug=slugify(name), defaults={"name": name}
            )
            if author_is_new:
                created.append(("authors", author.slug))
            EssayAuthor.objects.create(essay=essay, author=author, position=byline_position)
