"""What pages tell search engines, social sites and scholars: canonical links, OpenGraph and
Twitter card tags, Highwire Press citation tags and JSON-LD, parsed and checked field by field.
"""

import datetime as dt
import json
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from essays.models import Essay, EssayAuthor
from essays.pagination import Position
from series.models import SiteSettings, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db

SITE_URL = "https://thinktank.example"
SITE_NAME = "Policy Network Test"
PUBLISHED = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL
    site = SiteSettings.load()
    site.name = SITE_NAME
    site.save()


class HeadParser(HTMLParser):
    """Collect <meta>, <link rel=canonical> and JSON-LD <script>s from a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []  # (property or name, content), in page order
        self.canonical: list[str] = []
        self.json_ld_sources: list[str] = []
        self._in_json_ld = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.append((key, attrs["content"]))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld, self._buffer = True, []

    def handle_data(self, data):
        if self._in_json_ld:
            self._buffer.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_json_ld:
            self.json_ld_sources.append("".join(self._buffer))
            self._in_json_ld = False


class Page:
    def __init__(self, response):
        assert response.status_code == 200, response.status_code
        self.html = response.content.decode()
        parser = HeadParser()
        parser.feed(self.html)
        parser.close()
        self.parser = parser
        self.json_ld = [json.loads(source) for source in parser.json_ld_sources]

    def all(self, key) -> list[str]:
        return [content for name, content in self.parser.meta if name == key]

    def one(self, key) -> str:
        values = self.all(key)
        assert len(values) == 1, (key, values)
        return values[0]

    @property
    def canonical(self) -> str:
        (href,) = self.parser.canonical
        return href

    def ld(self, kind) -> dict:
        found = [data for data in self.json_ld if data.get("@type") == kind]
        assert len(found) == 1, (kind, [data.get("@type") for data in self.json_ld])
        return found[0]

    def ld_types(self) -> list[str]:
        return [data.get("@type") for data in self.json_ld]


def person_name(citation_author: str) -> str:
    """Return "Given Family" from a citation_author in either form Scholar accepts."""
    family, comma, given = citation_author.partition(", ")
    return f"{given} {family}" if comma else citation_author


def get_page(client, url, **params) -> Page:
    return Page(client.get(url, params))


def absolute(path):
    return f"{SITE_URL}{path}"


def two_author_essay(**fields):
    """An essay by Richard Todd then Ben Williams: byline order is neither pk nor name order."""
    richard = AuthorFactory(name="Richard Todd", slug="richard-todd")
    ben = AuthorFactory(name="Ben Williams", slug="ben-williams")
    fields.setdefault("title", "Investing in the mutualisation of public services")
    fields.setdefault("standfirst", "Emerging mutuals need sources of finance.")
    fields.setdefault("published_at", PUBLISHED)
    essay = EssayFactory(authors=[ben, richard], topics=["Mutualism", "Finance"], **fields)
    EssayAuthor.objects.filter(essay=essay, author=ben).update(position=2)
    EssayAuthor.objects.filter(essay=essay, author=richard).update(position=1)
    return essay, [richard, ben]


# Essay page -------------------------------------------------------------------------------


def test_essay_canonical_link_is_the_absolute_url_from_site_url(client):
    essay, _ = two_author_essay()

    page = get_page(client, essay.get_absolute_url(), utm_source="newsletter", ref="x")

    assert page.canonical == absolute(essay.get_absolute_url())
    assert page.canonical == f"{SITE_URL}/essays/{essay.slug}/"


def test_essay_opengraph_and_twitter_tags(client):
    essay, authors = two_author_essay()

    page = get_page(client, essay.get_absolute_url())

    assert page.one("og:type") == "article"
    assert page.one("og:title") == essay.title
    assert page.one("og:description") == essay.standfirst
    assert page.one("og:url") == absolute(essay.get_absolute_url())
    assert page.one("og:site_name") == SITE_NAME
    assert page.one("twitter:card") == "summary"  # no image
    assert page.one("twitter:title") == essay.title
    assert page.all("article:author") == [absolute(a.get_absolute_url()) for a in authors]
    published = dt.datetime.fromisoformat(page.one("article:published_time"))
    assert published == PUBLISHED
    assert page.all("og:image") == []


def test_essay_highwire_citation_tags(client):
    essay, _ = two_author_essay()

    page = get_page(client, essay.get_absolute_url())

    assert page.one("citation_title") == essay.title
    assert [person_name(value) for value in page.all("citation_author")] == [
        "Richard Todd",
        "Ben Williams",
    ]
    assert page.one("citation_publication_date") == "2024/03/05"
    assert page.one("citation_publisher") == SITE_NAME
    assert page.one("citation_fulltext_html_url") == absolute(essay.get_absolute_url())


def test_citation_date_is_the_local_publication_date(client):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the date readers see.
    essay = EssayFactory(published_at=dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.UTC))

    page = get_page(client, essay.get_absolute_url())

    assert page.one("citation_publication_date") == "2024/07/01"


def test_essay_json_ld_article(client):
    series = SeriesFactory(title="Mutualism", published_at=PUBLISHED - dt.timedelta(days=1))
    essay, authors = two_author_essay(series=series)
    essay = Essay.objects.get(pk=essay.pk)

    page = get_page(client, essay.get_absolute_url())

    article = page.ld("Article")
    assert article["@context"] in ("https://schema.org", "https://schema.org/")
    assert article["headline"] == essay.title
    assert article["description"] == essay.standfirst
    assert dt.datetime.fromisoformat(article["datePublished"]) == PUBLISHED
    assert dt.datetime.fromisoformat(article["dateModified"]) == essay.updated_at
    assert article["author"] == [
        {"@type": "Person", "name": a.name, "url": absolute(a.get_absolute_url())} for a in authors
    ]
    assert article["isPartOf"]["@type"] == "CreativeWorkSeries"
    assert article["isPartOf"]["name"] == "Mutualism"
    assert article["isPartOf"]["url"] == absolute(series.get_absolute_url())
    assert "image" not in article


def test_standalone_essay_json_ld_has_no_is_part_of(client):
    essay, _ = two_author_essay()

    assert "isPartOf" not in get_page(client, essay.get_absolute_url()).ld("Article")


@pytest.mark.parametrize(
    "series_fields",
    [
        {"status": Status.DRAFT, "published_at": None},
        {"status": Status.PUBLISHED, "published_at": timezone.now() + dt.timedelta(days=5)},
    ],
    ids=["draft series", "scheduled series"],
)
def test_essay_in_an_unpublished_series_claims_no_series(client, series_fields):
    series = SeriesFactory(title="Secret series", **series_fields)
    essay, _ = two_author_essay(series=series)

    page = get_page(client, essay.get_absolute_url())

    assert "isPartOf" not in page.ld("Article")
    assert "Secret series" not in page.html


def test_essay_with_a_hero_image_has_it_in_json_ld_and_cards(client):
    essay, _ = two_author_essay()
    essay.hero_image = image_upload("hero.jpg", (1600, 900))
    essay.hero_alt = "Members voting at a co-operative AGM"
    essay.save()

    page = get_page(client, essay.get_absolute_url())

    images = page.ld("Article")["image"]
    images = images if isinstance(images, list) else [images]
    assert images
    for url in images:
        url = url["url"] if isinstance(url, dict) else url
        assert url.startswith(f"{SITE_URL}/"), url
        assert url.endswith(".webp"), url
    assert page.one("og:image").startswith(f"{SITE_URL}/")
    assert page.one("og:image:alt") == "Members voting at a co-operative AGM"
    assert page.one("twitter:card") == "summary_large_image"


def test_essay_breadcrumb_list_ends_with_the_essay(client):
    series = SeriesFactory(title="Mutualism")
    essay, _ = two_author_essay(series=series)

    crumbs = get_page(client, essay.get_absolute_url()).ld("BreadcrumbList")["itemListElement"]

    assert [item["position"] for item in crumbs] == list(range(1, len(crumbs) + 1))
    assert all(item["@type"] == "ListItem" for item in crumbs)
    assert [item["name"] for item in crumbs] == ["Home", "Ideas & Debate", "Mutualism", essay.title]
    assert crumbs[0]["item"] == absolute("/")
    assert crumbs[2]["item"] == absolute(series.get_absolute_url())
    assert crumbs[-1]["item"] == absolute(essay.get_absolute_url())


def test_accented_author_name_is_kept_intact_in_json_ld_and_meta_tags(client):
    name = "José Müller-Łukasiewicz"
    author = AuthorFactory(name=name)
    essay = EssayFactory(
        title="Économie sociale: a reply", authors=[author], published_at=PUBLISHED
    )

    page = get_page(client, essay.get_absolute_url())

    assert page.ld("Article")["author"] == [
        {"@type": "Person", "name": name, "url": absolute(author.get_absolute_url())}
    ]
    assert [person_name(value) for value in page.all("citation_author")] == [name]
    assert page.one("citation_title") == "Économie sociale: a reply"
    assert page.one("og:title") == "Économie sociale: a reply"
    assert name in page.html  # as UTF-8 text, not mangled


def test_json_ld_cannot_be_closed_by_a_title(client):
    title = "Essay </script><script>alert(1)</script> & more"
    essay = EssayFactory(title=title, standfirst="A standfirst with </script> in it.")

    page = get_page(client, essay.get_absolute_url())

    assert "</script><script>" not in page.html
    assert "<script>alert(1)" not in page.html
    assert page.ld("Article")["headline"] == title
    assert page.ld("Article")["description"] == "A standfirst with </script> in it."
    assert page.ld("BreadcrumbList")["itemListElement"][-1]["name"] == title
    assert page.one("og:title") == title


# Series and author pages ------------------------------------------------------------------


def test_series_json_ld_lists_its_published_essays_in_series_order(client):
    series = SeriesFactory(title="Mutualism", standfirst="Essays on mutualism.")
    third = EssayFactory(title="Third", series=series, series_position=3)
    first = EssayFactory(title="First", series=series, series_position=1)
    EssayFactory(title="Draft part", series=series, series_position=2, status=Status.DRAFT)
    second = EssayFactory(title="Second", series=series, series_position=2)

    page = get_page(client, series.get_absolute_url())

    data = page.ld("CreativeWorkSeries")
    assert data["name"] == "Mutualism"
    assert data["description"] == "Essays on mutualism."
    assert data["url"] == absolute(series.get_absolute_url())
    assert [(part["headline"], part["url"]) for part in data["hasPart"]] == [
        (essay.title, absolute(essay.get_absolute_url())) for essay in (first, second, third)
    ]
    assert page.canonical == absolute(series.get_absolute_url())
    assert page.one("og:url") == absolute(series.get_absolute_url())
    crumbs = page.ld("BreadcrumbList")["itemListElement"]
    assert [item["position"] for item in crumbs] == [1, 2, 3]
    assert crumbs[-1]["item"] == absolute(series.get_absolute_url())


def test_author_page_is_a_profile_page_about_a_person(client):
    author = AuthorFactory(
        name="José Müller-Łukasiewicz",
        role="Director, Policy Network",
        website="https://example.org/jose",
    )
    EssayFactory(authors=[author])

    page = get_page(client, author.get_absolute_url())

    profile = page.ld("ProfilePage")
    person = profile["mainEntity"]
    assert person["@type"] == "Person"
    assert person["name"] == "José Müller-Łukasiewicz"
    assert person["url"] == absolute(author.get_absolute_url())
    assert person["jobTitle"] == "Director, Policy Network"
    same_as = person["sameAs"]
    assert "https://example.org/jose" in (same_as if isinstance(same_as, list) else [same_as])
    assert page.canonical == absolute(author.get_absolute_url())
    assert page.one("og:type") == "profile"
    assert page.one("og:title") == "José Müller-Łukasiewicz"


# Previews: a draft makes no public claims ------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.DRAFT, "published_at": None},
        {"status": Status.PUBLISHED, "published_at": timezone.now() + dt.timedelta(days=2)},
    ],
    ids=["draft", "scheduled"],
)
@pytest.mark.parametrize("kind", ["essay", "series"])
def test_staff_preview_of_unpublished_work_carries_no_metadata_claims(
    client, staff_user, kind, fields
):
    factory = EssayFactory if kind == "essay" else SeriesFactory
    item = factory(title="Unreleased work", **fields)
    client.force_login(staff_user)

    page = get_page(client, item.get_absolute_url())

    assert page.json_ld == []
    assert page.all("og:url") == []
    assert page.all("og:type") == []
    assert page.all("citation_title") == []
    assert page.all("article:published_time") == []


# Listing pages ----------------------------------------------------------------------------


def test_listing_canonical_keeps_only_topic_and_cursor(client):
    for number in range(21):
        EssayFactory(title=f"Housing {number}", topics=["Housing"])
    cursor = Position.of("essay", Essay.objects.order_by("published_at", "pk").last()).token

    ideas = get_page(
        client, "/ideas/", topic="housing", before=cursor, utm_source="newsletter", fbclid="x"
    )
    topic = get_page(client, "/topics/housing/", before=cursor, utm_campaign="spring")
    first = get_page(client, "/ideas/", utm_medium="email")

    assert ideas.canonical == f"{SITE_URL}/ideas/?topic=housing&before={cursor}"
    assert topic.canonical == f"{SITE_URL}/topics/housing/?before={cursor}"
    assert first.canonical == f"{SITE_URL}/ideas/"


@pytest.mark.parametrize("url", ["/", "/ideas/", "/search/?q=housing"])
def test_every_page_has_one_absolute_canonical_link(client, url):
    EssayFactory(title="Housing", topics=["Housing"])

    page = Page(client.get(url))

    assert page.canonical.startswith(f"{SITE_URL}/")
    assert "utm_" not in page.canonical


@pytest.mark.parametrize("page_param", ["abc", "0", "999", "1.0", "2"])
def test_old_page_numbers_redirect_to_the_one_canonical_first_page(client, page_param):
    # Numbered pages are gone (listings page by cursor): an old link lands on the first
    # page, which is canonical; no duplicate URL for it is invented.
    EssayFactory(title="Housing", topics=["Housing"])

    response = client.get("/ideas/", {"page": page_param, "utm_source": "x"})
    page = Page(client.get(response["Location"]))

    assert response.status_code == 301
    assert page.canonical == f"{SITE_URL}/ideas/"
