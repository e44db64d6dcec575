"""Atom feeds: the whole site, one series, one author, one topic.

Feeds are parsed as XML and checked element by element against RFC 4287's requirements.
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from essays.models import Essay
from series.models import Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://thinktank.example"
ATOM = "{http://www.w3.org/2005/Atom}"
ACCENTED = "José Müller-Łukasiewicz"


@pytest.fixture(autouse=True)
def _public_site_url(settings):
    settings.SITE_URL = SITE_URL


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def parse_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 - our own server's output
    assert root.tag == f"{ATOM}feed"
    return root


def text(element, tag):
    found = element.find(f"{ATOM}{tag}")
    assert found is not None, f"no <{tag}>"
    return found.text


def links(element):
    """Return the element's own links (not its entries'), by rel."""
    own = element.findall(f"{ATOM}link")
    return {link.get("rel", "alternate"): link.get("href") for link in own}


def entries(feed):
    return feed.findall(f"{ATOM}entry")


def entry_titles(feed):
    return [text(entry, "title") for entry in entries(feed)]


def authors_of(entry):
    return [
        (text(author, "name"), text(author, "uri")) for author in entry.findall(f"{ATOM}author")
    ]


def datetime_of(value):
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def content():
    """Two authors, a series with two essays, a standalone essay, a draft and a scheduled one."""
    richard = AuthorFactory(name="Richard Todd")
    ben = AuthorFactory(name="Ben Williams")
    series = SeriesFactory(title="Mutualism")
    in_series = EssayFactory(
        title="Mutualism: an introduction",
        series=series,
        authors=[ben, richard],
        topics=["Co-operatives"],
        published_at=days_ago(3),
    )
    also_in_series = EssayFactory(
        title="The mutual state", series=series, authors=[richard], published_at=days_ago(2)
    )
    standalone = EssayFactory(
        title="Austerity & after", authors=[ben], topics=["Austerity"], published_at=days_ago(1)
    )
    draft = EssayFactory(
        title="A draft", series=series, authors=[richard, ben], status=Status.DRAFT
    )
    draft.topics.set(["Co-operatives", "Austerity"])
    scheduled = EssayFactory(
        title="Scheduled", series=series, authors=[richard, ben], published_at=days_ago(-2)
    )
    scheduled.topics.set(["Co-operatives", "Austerity"])
    return {
        "richard": richard,
        "ben": ben,
        "series": series,
        "in_series": in_series,
        "also_in_series": also_in_series,
        "standalone": standalone,
    }


def test_site_feed_has_the_required_feed_elements(client, content):
    feed = parse_feed(client, "/feeds/essays/")

    assert text(feed, "id") == f"{SITE_URL}/feeds/essays/"
    assert text(feed, "title") == "Essays — Policy Network"
    assert text(feed, "subtitle") == "Leading international thinktank and political network"
    assert links(feed) == {"self": f"{SITE_URL}/feeds/essays/", "alternate": f"{SITE_URL}/ideas/"}
    newest_change = max(Essay.objects.published().values_list("updated_at", flat=True))
    assert datetime_of(text(feed, "updated")) == newest_change
    # The publisher stands in for any essay without a byline, as Atom requires.
    assert authors_of(feed) == [("Policy Network", f"{SITE_URL}/")]


def test_feed_links_come_from_site_url_not_the_request_host(client, content, settings):
    settings.ALLOWED_HOSTS = ["internal.example"]

    feed = parse_feed(client.__class__(HTTP_HOST="internal.example"), "/feeds/essays/")

    urls = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    urls += [uri.text for uri in feed.iter(f"{ATOM}uri")]
    assert urls
    assert all(url.startswith(f"{SITE_URL}/") for url in urls), urls


def test_entry_carries_every_field(client, content):
    essay = content["in_series"]
    Essay.objects.filter(pk=essay.pk).update(
        standfirst="Why mutual ownership matters.", body="<p>The <em>body</em>.</p>"
    )
    essay.refresh_from_db()

    feed = parse_feed(client, "/feeds/essays/")
    entry = next(e for e in entries(feed) if text(e, "title") == "Mutualism: an introduction")

    assert links(entry) == {"alternate": f"{SITE_URL}/essays/mutualism-an-introduction/"}
    created = essay.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d")
    assert text(entry, "id") == f"tag:thinktank.example,{created}:essay:{essay.pk}"
    assert datetime_of(text(entry, "published")) == essay.published_at
    assert datetime_of(text(entry, "updated")) == essay.updated_at
    assert entry.find(f"{ATOM}summary").get("type") is None  # plain text
    assert text(entry, "summary") == "Why mutual ownership matters."
    content_element = entry.find(f"{ATOM}content")
    assert content_element.get("type") == "html"
    assert content_element.text == "<p>The <em>body</em>.</p>"
    categories = entry.findall(f"{ATOM}category")
    assert [(c.get("term"), c.get("label"), c.get("scheme")) for c in categories] == [
        ("co-operatives", "Co-operatives", f"{SITE_URL}/topics/")
    ]


def test_entry_lists_every_author_in_byline_order(client, content):
    feed = parse_feed(client, "/feeds/essays/")
    by_title = {text(entry, "title"): entry for entry in entries(feed)}

    assert authors_of(by_title["Mutualism: an introduction"]) == [
        ("Ben Williams", f"{SITE_URL}/authors/ben-williams/"),
        ("Richard Todd", f"{SITE_URL}/authors/richard-todd/"),
    ]
    assert authors_of(by_title["The mutual state"]) == [
        ("Richard Todd", f"{SITE_URL}/authors/richard-todd/")
    ]


def test_accented_names_and_ampersands_round_trip(client, content):
    accented = AuthorFactory(name=ACCENTED)
    EssayFactory(
        title="Économie sociale & solidaire",
        authors=[accented, content["ben"]],
        published_at=days_ago(0),
    )

    feed = parse_feed(client, "/feeds/essays/")
    entry = entries(feed)[0]

    assert text(entry, "title") == "Économie sociale & solidaire"
    assert authors_of(entry) == [
        (ACCENTED, f"{SITE_URL}{accented.get_absolute_url()}"),
        ("Ben Williams", f"{SITE_URL}/authors/ben-williams/"),
    ]
    assert text(parse_feed(client, accented.get_absolute_url() + "feed/"), "title") == (
        f"Essays by {ACCENTED} — Policy Network"
    )


def test_content_is_the_sanitised_body(client, content):
    # update() skips the save-time sanitising, as a row written by hand or an old import would.
    Essay.objects.filter(pk=content["standalone"].pk).update(
        body='<p onclick="steal()">Kept</p><script>alert("x")</script>'
        '<img src="/media/chart.png" alt="Chart" onerror="steal()">'
    )

    feed = parse_feed(client, "/feeds/essays/")
    entry = next(e for e in entries(feed) if text(e, "title") == "Austerity & after")
    html = entry.find(f"{ATOM}content").text

    assert "<script" not in html
    assert "alert" not in html
    assert "onclick" not in html
    assert "onerror" not in html
    assert html == (
        '<p>Kept</p><img loading="lazy" decoding="async" src="/media/chart.png" alt="Chart">'
    )
    # Site-relative images resolve against the essay's public URL.
    base = entry.find(f"{ATOM}content").get("{http://www.w3.org/XML/1998/namespace}base")
    assert base == f"{SITE_URL}/essays/austerity-after/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/feeds/essays/",
            ["Austerity & after", "The mutual state", "Mutualism: an introduction", "Elsewhere"],
        ),
        ("/series/mutualism/feed/", ["The mutual state", "Mutualism: an introduction"]),
        ("/authors/richard-todd/feed/", ["The mutual state", "Mutualism: an introduction"]),
        ("/authors/ben-williams/feed/", ["Austerity & after", "Mutualism: an introduction"]),
        ("/topics/co-operatives/feed/", ["Mutualism: an introduction"]),
        ("/topics/austerity/feed/", ["Austerity & after"]),
    ],
)
def test_each_feed_has_only_its_own_published_essays_newest_first(client, content, url, expected):
    # A series of its own, an author and a topic of their own: none of it may leak in.
    other_author = AuthorFactory(name="Someone Else")
    EssayFactory(
        title="Elsewhere",
        series=SeriesFactory(),
        authors=[other_author],
        topics=["Housing"],
        published_at=days_ago(10),
    )

    feed = parse_feed(client, url)

    assert entry_titles(feed) == expected  # no draft, no scheduled essay, nothing else's
    assert links(feed)["self"] == f"{SITE_URL}{url}"


def test_subject_feeds_describe_their_subject(client, content):
    series_feed = parse_feed(client, "/series/mutualism/feed/")
    assert text(series_feed, "title") == "Mutualism — Policy Network"
    assert text(series_feed, "subtitle") == "A series of essays."
    assert links(series_feed)["alternate"] == f"{SITE_URL}/series/mutualism/"

    author_feed = parse_feed(client, "/authors/ben-williams/feed/")
    assert text(author_feed, "title") == "Essays by Ben Williams — Policy Network"
    assert links(author_feed)["alternate"] == f"{SITE_URL}/authors/ben-williams/"

    topic_feed = parse_feed(client, "/topics/co-operatives/feed/")
    assert text(topic_feed, "title") == "Co-operatives — Policy Network"
    assert links(topic_feed)["alternate"] == f"{SITE_URL}/topics/co-operatives/"


def test_feed_of_an_author_without_published_essays_is_empty_but_valid(client):
    author = AuthorFactory(name="New Fellow")
    EssayFactory(authors=[author], status=Status.DRAFT)

    feed = parse_feed(client, "/authors/new-fellow/feed/")

    assert entries(feed) == []
    assert text(feed, "id") == f"{SITE_URL}/authors/new-fellow/feed/"
    assert text(feed, "updated")


@pytest.mark.parametrize(
    "url",
    [
        "/series/no-such-series/feed/",
        "/series/draft-series/feed/",
        "/authors/nobody/feed/",
        "/topics/no-such-topic/feed/",
        "/topics/only-on-drafts/feed/",
    ],
)
def test_unknown_or_unpublished_subject_is_404(client, content, url):
    SeriesFactory(title="Draft series", status=Status.DRAFT)
    draft = EssayFactory(status=Status.DRAFT)
    draft.topics.set(["Only on drafts"])

    assert client.get(url).status_code == 404


FEEDS = {
    "site": "/feeds/essays/",
    "series": "/series/mutualism/feed/",
    "author": "/authors/richard-todd/feed/",
    "topic": "/topics/co-operatives/feed/",
}


@pytest.mark.parametrize("feed", FEEDS)
def test_feed_query_count_does_not_grow_with_entries(client, django_assert_max_num_queries, feed):
    richard = AuthorFactory(name="Richard Todd")
    series = SeriesFactory(title="Mutualism")
    EssayFactory(series=series, authors=[richard], topics=["Co-operatives"])
    with CaptureQueriesContext(connection) as few:
        assert len(entries(parse_feed(client, FEEDS[feed]))) == 1

    for number in range(60):
        co_authors = [AuthorFactory(), AuthorFactory()]
        essay = EssayFactory(
            title=f"Essay number {number}",
            series=series,
            authors=[*co_authors[: number % 3], richard],
            published_at=days_ago(0.5) - dt.timedelta(minutes=number),
        )
        essay.topics.set(["Co-operatives", f"Topic {number}"])
    with django_assert_max_num_queries(len(few)):
        feed_xml = parse_feed(client, FEEDS[feed])

    assert len(few) <= 7  # with the page cache's content version
    # At most 20 entries, newest first.
    assert entry_titles(feed_xml)[:2] == ["Essay number 0", "Essay number 1"]
    assert len(entries(feed_xml)) == 20


ALTERNATE = re.compile(
    r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">'
)


def alternates(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    head = response.content.decode().split("</head>")[0]
    return [(title, href) for title, href in ALTERNATE.findall(head)]


def test_every_page_head_links_the_site_feed(client, content):
    assert alternates(client, "/") == [("Essays — Policy Network", "/feeds/essays/")]
    assert ("Essays — Policy Network", "/feeds/essays/") in alternates(
        client, content["standalone"].get_absolute_url()
    )


@pytest.mark.parametrize(
    ("url", "title", "feed_url"),
    [
        ("/series/mutualism/", "Mutualism — Policy Network", "/series/mutualism/feed/"),
        (
            "/authors/richard-todd/",
            "Essays by Richard Todd — Policy Network",
            "/authors/richard-todd/feed/",
        ),
        ("/topics/co-operatives/", "Co-operatives — Policy Network", "/topics/co-operatives/feed/"),
    ],
)
def test_series_author_and_topic_pages_link_their_own_feed(client, content, url, title, feed_url):
    assert alternates(client, url) == [
        ("Essays — Policy Network", "/feeds/essays/"),
        (title, feed_url),
    ]
    page = client.get(url).content.decode()
    assert f'<a href="{feed_url}">Atom feed' in page
    assert client.get(feed_url).status_code == 200


def test_draft_series_preview_does_not_link_a_feed_that_would_404(client, staff_user):
    SeriesFactory(title="Unpublished", status=Status.DRAFT)
    client.force_login(staff_user)

    assert alternates(client, "/series/unpublished/") == [
        ("Essays — Policy Network", "/feeds/essays/")
    ]


@pytest.mark.parametrize(
    ("field", "hostile", "clean"),
    [
        ("title", "Bell\x07 and\x0b tab", "Bell and tab"),  # refused by Django's XML writer
        ("title", "Not\ufffe a\uffff character", "Not a character"),  # let through by it
        ("standfirst", "Escape \x1b[31m red", "Escape [31m red"),
    ],
)
def test_characters_xml_cannot_carry_are_dropped_not_fatal(client, content, field, hostile, clean):
    # update(): written as a paste from anywhere, or an old import, could have written it.
    Essay.objects.filter(pk=content["standalone"].pk).update(**{field: hostile})

    feed = parse_feed(client, "/feeds/essays/")

    tag = {"title": "title", "standfirst": "summary"}[field]
    assert clean in [text(entry, tag) for entry in entries(feed)]
