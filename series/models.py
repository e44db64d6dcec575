import functools

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Greatest, Now
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from series.images import WebImageField, save_renditions
from series.links import slug_url
from series.prefetch import topic_link_prefetch
from series.redirects import previous_url, record_move
from series.richtext import RichTextField

DEFAULT_SITE_NAME = "Policy Network"
DEFAULT_TAGLINE = "Leading international thinktank and political network"


def fill_slug(instance, source: str) -> None:
    """Give `instance` a unique slug from `source` (slugify) when it has none."""
    if instance.slug:
        return
    field = instance._meta.get_field("slug")
    base = slugify(source)[: field.max_length - 8] or "untitled"
    slug, suffix = base, 2
    others = type(instance)._default_manager.exclude(pk=instance.pk)
    while others.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    instance.slug = slug


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """Return what readers may see: published, with a publication time already past.

        Comparing with the database's clock means a scheduled item appears by itself.
        """
        return self.filter(status=Status.PUBLISHED, published_at__lte=Now())


class Publishable(models.Model):
    """Status, publication time and a hero image, shared by series and essays."""

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication date",
        null=True,
        blank=True,
        help_text="A future date schedules publication: it appears on the site at that moment.",
    )
    hero_image = WebImageField(
        upload_to="heroes/%Y/%m/",
        width_field="hero_width",
        height_field="hero_height",
        blank=True,
    )
    hero_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_alt = models.CharField(
        "hero image alt text",
        max_length=250,
        blank=True,
        help_text="Describe the image for readers who cannot see it.",
    )
    hero_credit = models.CharField("hero image credit", max_length=250, blank=True)
    hero_renditions = models.JSONField(default=dict, blank=True, editable=False)
    # Weighted full-text document, kept current by essays.search (PostgreSQL only).
    search_document = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        fill_slug(self, self.title)
        # One transaction: the row, its redirect, renditions and search document (saved by
        # signals) and the page cache's content version are seen together or not at all.
        with transaction.atomic():
            old_url = previous_url(self)
            super().save(*args, **kwargs)
            record_move(old_url, self.get_absolute_url())
            save_renditions(self, "hero_image", "hero_renditions")

    def clean(self):
        super().clean()
        if self.hero_image and not self.hero_alt.strip():
            raise ValidationError(
                {"hero_alt": "Describe the hero image for readers who cannot see it."},
                code="alt_required",
            )

    @property
    def is_published(self):
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )


class TaggedSeries(TaggedItemBase):
    content_object = models.ForeignKey("Series", on_delete=models.CASCADE)

    class Meta:
        verbose_name = "series topic"
        verbose_name_plural = "series topics"
        # A topic's series, newest first: is it in use (essays.views.topics_in_use)?
        indexes = [models.Index(fields=["tag", "content_object"], name="series_topic_idx")]


class Series(Publishable):
    title = models.CharField(max_length=250)
    slug = models.SlugField(max_length=250, unique=True)
    standfirst = models.TextField(help_text="One or two sentences that introduce the series.")
    intro = RichTextField(blank=True)
    topics = TaggableManager(through=TaggedSeries, blank=True, verbose_name="topics")
    # What a card shows of the topics, as plain objects (see series.prefetch).
    topic_links = topic_link_prefetch(TaggedSeries)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "series"
        permissions = [("publish_series", "Can publish and unpublish series")]
        indexes = [
            # Listings walk this from a cursor, newest first (essays.pagination).
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(status="published"),
                name="series_published_idx",
            ),
            # The newest change to published work: the sitemap's lastmod (thinktank.sitemaps).
            models.Index(
                Greatest("updated_at", "published_at"),
                condition=models.Q(status="published"),
                name="series_changed_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return slug_url("series:detail", self.slug)

    @property
    def topic_list(self):
        """Return the series' topics: `TopicLink`s by name when prefetched for a card."""
        topics = getattr(self, "listed_topics", None)
        return list(self.topics.all()) if topics is None else topics


class SiteSettings(models.Model):
    """The site's name, tagline and "about" text: one row, edited by staff in the admin.

    It lives here, in the base app, so every app (essays' citations, newsletter emails) may
    read the publisher's name without importing the project package.
    """

    name = models.CharField("site name", max_length=100, default=DEFAULT_SITE_NAME)
    tagline = models.CharField(max_length=200, default=DEFAULT_TAGLINE)
    about = RichTextField(
        "about text", blank=True, help_text="Shown in every page's footer, under “About us”."
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1  # there is only ever one
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """Return the site's settings, or unsaved defaults before staff first edit them.

        Every page reads them, so the query is built once per process and then run as a
        raw query: building and compiling it through the ORM each time cost more than
        Django's whole request cycle does.
        """
        return next(iter(cls.objects.raw(*_load_query())), None) or cls(pk=1)


@functools.cache
def _load_query():
    """Return the SQL and parameters that select the site settings row."""
    return SiteSettings.objects.filter(pk=1).query.sql_with_params()
