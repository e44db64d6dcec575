import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Greatest
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from series.images import WebImageField, save_renditions
from series.links import slug_url
from series.models import Publishable, PublishableQuerySet, Series, fill_slug
from series.prefetch import ValuesPrefetch, topic_link_prefetch
from series.redirects import previous_url, record_move
from series.richtext import RichTextField, sanitize_html, word_count

WORDS_PER_MINUTE = 230


class Author(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    role = models.CharField(
        "role or affiliation",
        max_length=250,
        blank=True,
        help_text='For example "Director, Policy Network".',
    )
    bio = RichTextField(blank=True)
    portrait = WebImageField(
        upload_to="portraits/%Y/",
        width_field="portrait_width",
        height_field="portrait_height",
        blank=True,
    )
    portrait_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    portrait_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    portrait_alt = models.CharField("portrait alt text", max_length=250, blank=True)
    portrait_renditions = models.JSONField(default=dict, blank=True, editable=False)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        fill_slug(self, self.name)
        with transaction.atomic():  # as Publishable.save: all of it, or none
            old_url = previous_url(self)
            super().save(*args, **kwargs)
            record_move(old_url, self.get_absolute_url())
            save_renditions(self, "portrait", "portrait_renditions")

    def get_absolute_url(self):
        return slug_url("essays:author", self.slug)

    def clean(self):
        super().clean()
        if self.portrait and not self.portrait_alt.strip():
            raise ValidationError(
                {"portrait_alt": "Describe the portrait for readers who cannot see it."},
                code="alt_required",
            )


class TaggedEssay(TaggedItemBase):
    content_object = models.ForeignKey("Essay", on_delete=models.CASCADE)

    class Meta:
        verbose_name = "essay topic"
        verbose_name_plural = "essay topics"
        # A topic's essays, newest first: is it in use (essays.views.topics_in_use)?
        indexes = [models.Index(fields=["tag", "content_object"], name="essay_topic_idx")]


class EssayQuerySet(PublishableQuerySet):
    # What a card reads of an essay and its series. Bodies and search documents are most
    # of a row's bytes; every column selected also costs time to compile and to load.
    LISTING_FIELDS = (
        "title",
        "slug",
        "standfirst",
        "status",
        "published_at",
        "series",
        "series__title",
        "series__slug",
        "series__status",
        "series__published_at",
    )

    def with_listing_data(self):
        """Return essays with what a listing card shows: series, ordered bylines, topics."""
        return (
            self.select_related("series")
            .only(*self.LISTING_FIELDS)
            .prefetch_related(
                models.Prefetch("author_credits", to_attr="listed_authors"),
                models.Prefetch("topic_links", to_attr="listed_topics"),
            )
        )


@dataclass(frozen=True, slots=True)
class Credit:
    """An author as a byline shows them: a name linking to their page, and their role."""

    owner: int  # the essay's (or series') primary key
    name: str
    slug: str
    role: str = ""

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url("essays:author", self.slug)


def author_credit_rows():
    """Return every essay's authors as `Credit` rows, each essay's in byline order."""
    return EssayAuthor.objects.order_by("position", "pk").values_list(
        "essay_id", "author__name", "author__slug", "author__role"
    )


class Essay(Publishable):
    title = models.CharField(max_length=250)
    slug = models.SlugField(max_length=250, unique=True)
    standfirst = models.TextField(help_text="One or two sentences under the title.")
    body = RichTextField(blank=True)
    authors = models.ManyToManyField(Author, through="EssayAuthor", related_name="essays")
    series = models.ForeignKey(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="essays"
    )
    series_position = models.PositiveIntegerField(
        "position in series", default=0, help_text="Essays in a series are shown in this order."
    )
    topics = TaggableManager(through=TaggedEssay, blank=True, verbose_name="topics")
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # What a card shows of the bylines and topics, as plain objects (`with_listing_data`).
    author_credits = ValuesPrefetch(author_credit_rows, owner="essay", make=Credit)
    topic_links = topic_link_prefetch(TaggedEssay)

    objects = EssayQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        permissions = [("publish_essay", "Can publish and unpublish essays")]
        indexes = [
            # Listings walk this from a cursor, newest first (essays.pagination).
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(status="published"),
                name="essay_published_idx",
            ),
            # The newest change to published work: the sitemap's lastmod (thinktank.sitemaps).
            models.Index(
                Greatest("updated_at", "published_at"),
                condition=models.Q(status="published"),
                name="essay_changed_idx",
            ),
            models.Index(fields=["series", "series_position"], name="essay_series_order_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        fill_slug(self, self.title)
        self.word_count = word_count(self.standfirst) + word_count(sanitize_html(self.body))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("essays:detail", self.slug)

    @property
    def reading_minutes(self):
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    @property
    def byline_authors(self):
        """Return the authors in byline order: `Credit`s from `with_listing_data()`."""
        credits = getattr(self, "listed_authors", None)
        if credits is not None:
            return credits
        return [byline.author for byline in self.bylines.all()]

    @property
    def topic_list(self):
        """Return the essay's topics: `TopicLink`s by name from `with_listing_data()`."""
        topics = getattr(self, "listed_topics", None)
        return list(self.topics.all()) if topics is None else topics


class EssayAuthor(models.Model):
    """One author's credit on an essay; `position` orders the byline."""

    essay = models.ForeignKey(Essay, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "byline"
        constraints = [
            models.UniqueConstraint(fields=["essay", "author"], name="unique_byline_per_author")
        ]

    def __str__(self):
        return f"{self.author} on {self.essay}"
