"""factory_boy factories for the content models."""

import datetime as dt

import factory
from django.utils import timezone
from django.utils.text import slugify

from essays.models import Author, Essay, EssayAuthor
from series.models import Series, Status


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    role = "Fellow, Policy Network"


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    title = factory.Sequence(lambda n: f"Series {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    standfirst = "A series of essays."
    intro = "<p>An introduction.</p>"
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))


class EssayFactory(factory.django.DjangoModelFactory):
    """An essay; pass `authors=[...]` for ordered bylines, `topics=[...]` for topics."""

    class Meta:
        model = Essay
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Essay {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    standfirst = "A standfirst."
    body = "<p>Some body text.</p>"
    status = Status.PUBLISHED
    published_at = factory.Sequence(lambda n: timezone.now() - dt.timedelta(days=1, minutes=n))

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        for position, author in enumerate(extracted or [AuthorFactory()], start=1):
            EssayAuthor.objects.create(essay=self, author=author, position=position)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)
