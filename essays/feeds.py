"""Atom feeds of published essays: the whole site, one series, one author, one topic.

Every URL in a feed is built from `settings.SITE_URL`, never from the request's host, so a
feed fetched through a proxy or an internal address still links to the public site.
"""

import datetime as dt
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, rfc3339_date
from django.utils.xmlutils import UnserializableContentError

from essays.models import Author, Essay
from essays.views import topics_in_use
from series.models import Series, SiteSettings
from series.richtext import sanitize_html

# Readers poll feeds (hourly, daily): 20 entries covers weeks of publishing, as Substack's
# do. Entries carry whole essays, so each one adds some 20 KB to every poll.
MAX_ENTRIES = 20


def absolute_url(path: str) -> str:
    """Return `path` (from `reverse` or `get_absolute_url`) on the public site."""
    return f"{settings.SITE_URL}{path}"


def essay_tag_uri(essay: Essay) -> str:
    """Return the essay's Atom id: a tag: URI that survives slug and title changes (RFC 4151)."""
    host = urlsplit(settings.SITE_URL).hostname
    minted = essay.created_at.astimezone(dt.UTC)
    return f"tag:{host},{minted:%Y-%m-%d}:essay:{essay.pk}"


# Characters XML 1.0 cannot carry at all; text pasted from anywhere may hold them.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value):
    """Return `value` (a string, or lists and dicts of them) without XML-forbidden characters."""
    if isinstance(value, str):
        return _XML_FORBIDDEN.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(item) for item in value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    return value


class EssayAtomFeed(Atom1Feed):
    """Atom 1.0 with what Django's Atom1Feed leaves out: every author, content, labelled topics.

    Entries take three extra keys (see `EssayFeed.item_extra_kwargs`): `authors`, a list of
    (name, page URL) in byline order; `content`, sanitised HTML; `topics`, a list of
    (slug, name), written as categories in the `topic_scheme` the feed is given.
    """

    def write(self, outfile, encoding):
        try:
            xml = self.serialize(encoding)
        except UnserializableContentError:
            # One control character in one title must not take the whole feed down. Django's
            # XML writer looks for them in every text anyway, so the cleaning pass (a scan
            # of every body) only runs for a feed that holds one.
            self.feed = xml_safe(self.feed)
            self.items = [xml_safe(item) for item in self.items]
            xml = self.serialize(encoding)
        if "\ufffe" in xml or "\uffff" in xml:  # forbidden too, but not refused by the writer
            xml = xml_safe(xml)
        outfile.write(xml)

    def serialize(self, encoding):
        """Return the feed as a string.

        Written to a string, then to the response at once: the XML writer writes each tag
        and text on its own, and the response would encode and store each write apart.
        """
        buffer = io.StringIO()
        super().write(buffer, encoding)
        return buffer.getvalue()

    def add_item_elements(self, handler, item):
        handler.addQuickElement("title", item["title"])
        handler.addQuickElement("link", "", {"rel": "alternate", "href": item["link"]})
        handler.addQuickElement("id", item["unique_id"])
        handler.addQuickElement("published", rfc3339_date(item["pubdate"]))
        handler.addQuickElement("updated", rfc3339_date(item["updateddate"]))
        for name, uri in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", uri)
            handler.endElement("author")
        if item["description"]:
            handler.addQuickElement("summary", item["description"])
        if item["content"]:
            # xml:base lets readers resolve the body's site-relative links and images.
            handler.addQuickElement(
                "content", item["content"], {"type": "html", "xml:base": item["link"]}
            )
        for term, label in item["topics"]:
            handler.addQuickElement(
                "category", "", {"term": term, "label": label, "scheme": self.feed["topic_scheme"]}
            )


@dataclass(frozen=True)
class FeedSource:
    """What one request's feed is about: `subject` (a series, author, topic or None)."""

    site: SiteSettings
    subject: object


class EssayFeed(Feed):
    """The newest published essays; subclasses narrow `essays()` to one subject.

    A Feed instance serves every request, so per-request data travels in `FeedSource`.
    """

    feed_type = EssayAtomFeed
    max_entries = MAX_ENTRIES

    def get_object(self, request, slug=None):
        return FeedSource(site=SiteSettings.load(), subject=self.get_subject(slug))

    def get_subject(self, slug):
        return None

    def essays(self, subject):
        return Essay.objects.published()

    def page_path(self, subject):
        raise NotImplementedError

    def feed_path(self, subject):
        raise NotImplementedError

    # Feed level
    def link(self, source):
        return absolute_url(self.page_path(source.subject))

    def feed_url(self, source):
        return absolute_url(self.feed_path(source.subject))

    def feed_guid(self, source):
        return self.feed_url(source)

    def author_name(self, source):
        # The fallback author Atom asks for, should an essay lack a byline.
        return source.site.name

    def author_link(self, source):
        return absolute_url("/")

    def feed_extra_kwargs(self, source):
        # Topic slugs are terms in the site's own scheme, named by the topics' URL prefix.
        return {"topic_scheme": absolute_url("/topics/")}

    def items(self, source):
        return (
            self.essays(source.subject)
            .with_listing_data()
            .defer(None)  # entries carry the body as content: load it with the row
            .defer("search_document", "series__intro", "series__search_document")
            .order_by("-published_at", "-pk")[: self.max_entries]
        )

    # Entry level
    def item_title(self, essay):
        return essay.title  # Atom text, escaped once by the XML writer

    def item_description(self, essay):
        return essay.standfirst

    def item_link(self, essay):
        return absolute_url(essay.get_absolute_url())

    def item_guid(self, essay):
        return essay_tag_uri(essay)

    def item_pubdate(self, essay):
        return essay.published_at

    def item_updateddate(self, essay):
        # A scheduled essay saved before it went live still reads as updated when it did.
        return max(essay.updated_at, essay.published_at)

    def item_extra_kwargs(self, essay):
        return {
            "authors": [
                (author.name, absolute_url(author.get_absolute_url()))
                for author in essay.byline_authors
            ],
            "content": sanitize_html(essay.body),
            "topics": [(topic.slug, topic.name) for topic in essay.topic_list],
        }


class AllEssaysFeed(EssayFeed):
    def title(self, source):
        return f"Essays — {source.site.name}"

    def subtitle(self, source):
        return source.site.tagline

    def page_path(self, subject):
        return reverse("essays:ideas")

    def feed_path(self, subject):
        return reverse("essays:feed")


class SeriesFeed(EssayFeed):
    def get_subject(self, slug):
        return get_object_or_404(Series.objects.published(), slug=slug)

    def essays(self, series):
        return super().essays(series).filter(series=series)

    def title(self, source):
        return f"{source.subject.title} — {source.site.name}"

    def subtitle(self, source):
        return source.subject.standfirst

    def page_path(self, series):
        return series.get_absolute_url()

    def feed_path(self, series):
        return reverse("essays:series_feed", kwargs={"slug": series.slug})


class AuthorFeed(EssayFeed):
    def get_subject(self, slug):
        return get_object_or_404(Author, slug=slug)

    def essays(self, author):
        return super().essays(author).filter(authors=author)

    def title(self, source):
        return f"Essays by {source.subject.name} — {source.site.name}"

    def subtitle(self, source):
        return source.subject.role or None

    def page_path(self, author):
        return author.get_absolute_url()

    def feed_path(self, author):
        return reverse("essays:author_feed", kwargs={"slug": author.slug})


class TopicFeed(EssayFeed):
    def get_subject(self, slug):
        # Like the topic page: a topic only published work carries, else 404.
        return get_object_or_404(topics_in_use(), slug=slug)

    def essays(self, topic):
        return super().essays(topic).filter(topics=topic)

    def title(self, source):
        return f"{source.subject.name} — {source.site.name}"

    def subtitle(self, source):
        return f"Essays on {source.subject.name} from {source.site.name}."

    def page_path(self, topic):
        return reverse("essays:topic", kwargs={"slug": topic.slug})

    def feed_path(self, topic):
        return reverse("essays:topic_feed", kwargs={"slug": topic.slug})
