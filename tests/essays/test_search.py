"""Full-text search at /search/?q=: ranking, stemming, a stored document kept current,
highlighted snippets, web-search syntax, pagination, and any input giving a page.

These run on PostgreSQL (the production database); the last tests drive the simpler
substring search that SQLite uses, which is plain ORM and so runs here as well.
"""

import datetime as dt
import html
import re

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from essays import search
from essays.models import Essay, EssayAuthor
from series.models import Series, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_postgres():
    """Full-text search is PostgreSQL's: these tests run there (`make test` does), never skip."""
    assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL)"


postgres_only = pytest.mark.usefixtures("on_postgres")


def days_ago(days):
    return timezone.now() - dt.timedelta(days=days)


def search_page(client, query, **params):
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200, response.status_code
    return response


def results(response) -> list[str]:
    """Return the outer HTML of each result on a search page, in order."""
    return elements(response.content.decode(), "li", "search-result")


def result_titles(response) -> list[str]:
    return [
        html.unescape(re.search(r'class="card__title"><a [^>]*>(.*?)</a>', item, re.S).group(1))
        for item in results(response)
    ]


def snippets(response) -> list[str]:
    """Return the inner HTML of each result's snippet."""
    return [
        re.search(r'<p class="search-result__snippet">(.*?)</p>', item, re.S).group(1)
        for item in results(response)
    ]


def count_heading(response) -> str:
    (heading,) = elements(response.content.decode(), "h2", "search-count")
    return text_of(heading)


def found(client, query) -> set[str]:
    return set(result_titles(search_page(client, query)))


# Ranking and stemming --------------------------------------------------------------------


@postgres_only
def test_title_match_outranks_standfirst_match_which_outranks_body_only_match(client):
    # The newest is the weakest match, so ordering by date alone would get this wrong.
    EssayFactory(title="Growing food in towns", published_at=days_ago(30), standfirst="About food.")
    EssayFactory(
        title="A title match: allotments for everyone",
        standfirst="A standfirst about land.",
        body="<p>Nothing else here.</p>",
        published_at=days_ago(20),
    )
    EssayFactory(
        title="Standfirst match",
        standfirst="Why allotments matter to cities.",
        body="<p>Land and food.</p>",
        published_at=days_ago(10),
    )
    EssayFactory(
        title="Body-only match",
        standfirst="On urban land.",
        body="<p>Councils once ran thousands of allotments.</p>",
        published_at=days_ago(1),
    )

    response = search_page(client, "allotments")

    assert result_titles(response) == [
        "A title match: allotments for everyone",
        "Standfirst match",
        "Body-only match",
    ]


@postgres_only
@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("co-operatives", "The co-operative movement today"),
        ("co-operative", "Why co-operatives last"),
        ("austerity", "An austere budget"),
        ("mutuals", "Mutualism and the left"),
        ("governing", "The governance of public services"),
        ("housing", "Houses for everyone"),
    ],
)
def test_english_stemming_finds_other_forms_of_a_word(client, query, title):
    EssayFactory(title=title, standfirst="A standfirst.", body="<p>A body.</p>")
    EssayFactory(title="Something unrelated", standfirst="Elsewhere.", body="<p>Other.</p>")

    assert result_titles(search_page(client, query)) == [title]


# What is searchable, and kept current without a manual refresh ---------------------------


@postgres_only
def test_author_names_and_topics_are_searchable(client):
    EssayFactory(title="By a named author", authors=[AuthorFactory(name="Wilhelmina Strudwick")])
    EssayFactory(title="Under a topic", topics=["Beekeeping"])
    EssayFactory(title="Neither")

    assert found(client, "Strudwick") == {"By a named author"}
    assert found(client, "Wilhelmina Strudwick") == {"By a named author"}
    assert found(client, "beekeeping") == {"Under a topic"}


@postgres_only
def test_renaming_an_author_updates_search_of_their_essays(client):
    author = AuthorFactory(name="Wilhelmina Strudwick")
    EssayFactory(title="First essay", authors=[author])
    EssayFactory(title="Second essay", authors=[AuthorFactory(), author])

    author.name = "Ottoline Farquharson"
    author.save()

    assert found(client, "Farquharson") == {"First essay", "Second essay"}
    assert found(client, "Strudwick") == set()


@postgres_only
def test_adding_and_removing_a_byline_updates_search(client):
    essay = EssayFactory(title="Shared work", authors=[AuthorFactory(name="Ada Lovelace")])
    newcomer = AuthorFactory(name="Hypatia Alexandrova")
    assert found(client, "Alexandrova") == set()

    byline = EssayAuthor.objects.create(essay=essay, author=newcomer, position=2)
    assert found(client, "Alexandrova") == {"Shared work"}

    byline.delete()
    assert found(client, "Alexandrova") == set()
    assert found(client, "Lovelace") == {"Shared work"}


@postgres_only
def test_changing_topics_updates_search(client):
    essay = EssayFactory(title="Topical essay", topics=["Beekeeping"])
    assert found(client, "beekeeping") == {"Topical essay"}

    essay.topics.set(["Allotments"])
    assert found(client, "beekeeping") == set()
    assert found(client, "allotments") == {"Topical essay"}

    essay.topics.add("Orchards")
    assert found(client, "orchards") == {"Topical essay"}

    essay.topics.remove("Allotments")
    assert found(client, "allotments") == set()
    assert found(client, "orchards") == {"Topical essay"}

    essay.topics.clear()
    assert found(client, "orchards") == set()


@postgres_only
def test_renaming_a_topic_updates_search_of_essays_and_series_under_it(client):
    EssayFactory(title="Topical essay", topics=["Beekeeping"])
    SeriesFactory(title="Topical series").topics.add("Beekeeping")

    tag = Tag.objects.get(name="Beekeeping")
    tag.name = "Apiculture"
    tag.save()

    assert found(client, "apiculture") == {"Topical essay", "Topical series"}
    assert found(client, "beekeeping") == set()


@postgres_only
def test_deleting_a_topic_removes_it_from_search(client):
    # Staff can delete a topic in the admin (taggit registers Tag there); its essays and
    # series lose it, so searching its name must no longer find them.
    EssayFactory(title="Topical essay", topics=["Beekeeping", "Orchards"])
    SeriesFactory(title="Topical series").topics.add("Beekeeping")

    Tag.objects.get(name="Beekeeping").delete()

    assert found(client, "beekeeping") == set()
    assert found(client, "orchards") == {"Topical essay"}


@postgres_only
def test_editing_an_essay_updates_search(client):
    essay = EssayFactory(title="Old heading", body="<p>Nothing.</p>")

    essay.title = "Fresh heading about orchards"
    essay.body = "<p>And now about beekeeping.</p>"
    essay.save()

    assert found(client, "orchards") == {"Fresh heading about orchards"}
    assert found(client, "beekeeping") == {"Fresh heading about orchards"}
    assert found(client, "old") == set()


@postgres_only
def test_drafts_and_scheduled_work_never_appear(client, staff_user):
    EssayFactory(title="Published allotments essay")
    EssayFactory(title="Draft allotments essay", status=Status.DRAFT, published_at=None)
    EssayFactory(
        title="Dated draft allotments essay", status=Status.DRAFT, published_at=days_ago(2)
    )
    EssayFactory(
        title="Scheduled allotments essay",
        published_at=timezone.now() + dt.timedelta(days=3),
    )
    SeriesFactory(title="Draft allotments series", status=Status.DRAFT, published_at=None)
    SeriesFactory(
        title="Scheduled allotments series", published_at=timezone.now() + dt.timedelta(days=3)
    )

    assert found(client, "allotments") == {"Published allotments essay"}
    client.force_login(staff_user)  # not even staff: search is the public view
    assert found(client, "allotments") == {"Published allotments essay"}


@postgres_only
def test_series_appear_in_results_linked_to_their_page(client):
    series = SeriesFactory(
        title="Allotments and the commons",
        standfirst="A series on land.",
        intro="<p>An intro.</p>",
    )
    EssayFactory(title="An essay", body="<p>About allotments.</p>")

    response = search_page(client, "allotments")

    (series_result,) = [item for item in results(response) if series.title in item]
    assert "Series" in text_of(series_result)
    assert series.get_absolute_url() in hrefs(series_result)
    assert set(result_titles(response)) == {"Allotments and the commons", "An essay"}


@postgres_only
def test_series_intro_and_topics_are_searchable(client):
    series = SeriesFactory(title="A series", intro="<p>On the cultivation of orchards.</p>")
    series.topics.add("Beekeeping")

    assert found(client, "orchards") == {"A series"}
    assert found(client, "beekeeping") == {"A series"}


# Count and pagination ---------------------------------------------------------------------


@postgres_only
def test_result_count_is_shown(client):
    EssayFactory(title="Allotments one")
    EssayFactory(title="Allotments two")
    EssayFactory(title="Orchards")

    assert count_heading(search_page(client, "allotments")) == "2 results for “allotments”"
    assert count_heading(search_page(client, "orchards")) == "1 result for “orchards”"
    assert count_heading(search_page(client, "zebras")) == "0 results for “zebras”"


@postgres_only
def test_25_matches_paginate_and_the_next_page_keeps_the_query(client):
    for number in range(25):
        EssayFactory(title=f"Allotments essay {number:02}")
    EssayFactory(title="Not a match")

    first = search_page(client, "allotments")

    assert count_heading(first) == "25 results for “allotments”"
    assert len(results(first)) == 20
    (next_link,) = re.findall(r'<a rel="next" href="([^"]*)"', first.content.decode())
    next_link = html.unescape(next_link)
    assert "q=allotments" in next_link
    assert "page=2" in next_link

    second = client.get(f"/search/{next_link}")
    assert second.status_code == 200
    assert len(results(second)) == 5
    assert count_heading(second) == "25 results for “allotments”"
    assert "Page 2 of 2" in text_of(second)
    assert set(result_titles(first)).isdisjoint(result_titles(second))
    assert len(set(result_titles(first)) | set(result_titles(second))) == 25
    (previous_link,) = re.findall(r'<a rel="prev" href="([^"]*)"', second.content.decode())
    assert "q=allotments" in html.unescape(previous_link)


@postgres_only
@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "2.5", "1e3", "\x00"])
def test_any_page_number_gives_a_page(client, page):
    EssayFactory(title="Allotments")

    response = search_page(client, "allotments", page=page)

    assert "Allotments" in result_titles(response)


# Snippets ---------------------------------------------------------------------------------


@postgres_only
def test_snippets_mark_matched_words_and_show_no_other_html_from_the_body(client):
    EssayFactory(
        title="Mutual aid",
        standfirst="How people help each other.",
        body=(
            "<p>The <strong>friendly</strong> societies &amp; their members built "
            "<em>mutual</em> insurance long before the state did.</p>"
            "<p>Some wrote &lt;b&gt;bold claims&lt;/b&gt; about &lt;script&gt;alert(1)"
            "&lt;/script&gt; and their society.</p>"
        ),
    )

    response = search_page(client, "society")

    (snippet,) = snippets(response)
    marked = re.findall(r"<mark>(.*?)</mark>", snippet)
    assert marked, snippet
    assert {word.lower() for word in marked} <= {"society", "societies"}
    assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) == {"mark"}, snippet
    assert "&amp;" in snippet  # the body's ampersand, shown as text
    assert "&lt;script&gt;" in snippet or "script" not in snippet
    assert "<script" not in snippet
    assert "<b>" not in snippet
    assert "friendly" in text_of(snippet)


@postgres_only
def test_snippet_does_not_repeat_a_standfirst_that_the_body_opens_with(client):
    # Essays often open by restating the standfirst (the demo content's bodies are exactly
    # their standfirsts); the snippet must not show the same passage twice.
    standfirst = "Co-operative models offer local councils a way to answer populism."
    EssayFactory(
        title="Mutual councils",
        standfirst=standfirst,
        body=f"<p>{standfirst}</p><p>Councils elsewhere have tried other routes.</p>",
    )

    (snippet,) = snippets(search_page(client, "councils"))

    assert text_of(snippet).count("offer local") == 1, snippet


@postgres_only
def test_snippet_marks_a_stemmed_match(client):
    EssayFactory(title="On land", body="<p>Several co-operatives share the orchard.</p>")

    (snippet,) = snippets(search_page(client, "orchards"))

    assert re.search(r"<mark>orchard</mark>", snippet, re.I), snippet


@postgres_only
def test_a_match_deep_in_a_long_body_is_marked_and_no_cut_tag_or_word_shows(client):
    # Highlighting reads a window of the body around the first match, cut from the HTML:
    # shifted by two characters from essay to essay, the cut falls inside tags and words.
    unit = '<p class="filler">Councils share the land.</p>'
    for shift in range(20):
        body = "x" * (2 * shift) + unit * 400 + "<p>They planted an <em>orchard</em>.</p>"
        EssayFactory(title=f"Essay {shift}", body=body)

    found = snippets(search_page(client, "orchards"))

    assert len(found) == 20
    for snippet in found:
        assert re.search(r"<mark>orchard</mark>", snippet, re.I), snippet
        assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) == {"mark"}, snippet
        assert not re.search(r"class|filler|[<>]\w*\s*$|^\s*\S*[>\"]", text_of(snippet)), snippet
        words = text_of(snippet).replace("…", " ").split()
        whole_words = {"Councils", "share", "the", "land.", "They", "planted", "an", "orchard"}
        assert set(words) <= whole_words, snippet


@postgres_only
def test_a_capitalised_match_deep_in_a_long_body_is_marked(client):
    # Words are looked for in lower case and capitalised, as a sentence starts.
    body = "<p>Councils share the land.</p>" * 400 + "<p>Orchards need patience.</p>"
    EssayFactory(title="Essay", body=body)

    (snippet,) = snippets(search_page(client, "orchard"))

    assert "<mark>Orchards</mark>" in snippet


def test_snippet_windows_find_a_word_by_its_beginning_and_leave_out_excluded_words():
    assert search.snippet_prefixes("Mutualism co-operative -austerity OR housing") == [
        "mutual",
        "co-operat",
        "hous",
    ]
    assert search.snippet_prefixes("tax") == ["tax"]


@postgres_only
def test_series_snippet_marks_matched_words_in_the_intro(client):
    SeriesFactory(title="A series", intro="<p>On the cultivation of <em>orchards</em>.</p>")

    (snippet,) = snippets(search_page(client, "orchards"))

    assert "<mark>orchards</mark>" in snippet
    assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) == {"mark"}


# Web-search syntax ------------------------------------------------------------------------


@postgres_only
def test_quoted_phrase_matches_only_the_exact_phrase(client):
    EssayFactory(title="Reforming public services")
    EssayFactory(title="Services for the public good")

    assert found(client, '"public services"') == {"Reforming public services"}
    assert found(client, "public services") == {
        "Reforming public services",
        "Services for the public good",
    }


@postgres_only
def test_minus_excludes_a_word(client):
    EssayFactory(title="Housing and rent")
    EssayFactory(title="Housing and ownership")

    assert found(client, "housing -rent") == {"Housing and ownership"}


@postgres_only
def test_or_finds_either_word_while_plain_words_need_both(client):
    EssayFactory(title="Allotments in the city")
    EssayFactory(title="Beekeeping in the country")
    EssayFactory(title="Allotments and beekeeping together")

    assert found(client, "allotments beekeeping") == {"Allotments and beekeeping together"}
    assert found(client, "allotments or beekeeping") == {
        "Allotments in the city",
        "Beekeeping in the country",
        "Allotments and beekeeping together",
    }


# Hostile input ----------------------------------------------------------------------------

HOSTILE_QUERIES = {
    "empty": "",
    "whitespace": " \t\n  ",
    "1000 characters": "x" * 1000,
    "1000 characters of words": ("housing " * 125)[:1000],
    "quotes only": '"""',
    "single quotes": "''''",
    "unbalanced quotes": '"public services',
    "unbalanced single quote": "o'brien's",
    "minus": "-",
    "or": "or",
    "ampersand": "&",
    "pipe": "|",
    "bang": "!",
    "prefix operator": ":*",
    "colon": ":",
    "operators mixed": "& | ! ( ) :* <-> <2>",
    "parentheses": "((housing)",
    "backslash": "\\",
    "percent and underscore": "%_%",
    "emoji": "🏠🐝 housing",
    "RTL": "مرحبا بالعالم",
    "RTL override": "\u202ehousing\u202c",
    "combining marks": "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "NUL byte": "housing\x00rent",
    "control characters": "\x01\x02\x03\x07\x08\x1b[31m\x7f",
    "lone surrogate-like escapes": "\\ud800",
    "SQL": "'; DROP TABLE essays_essay; --",
    "SQL comment": "housing /* */ OR 1=1 --",
    "HTML": "<script>alert(1)</script>",
    "attribute breakout": '"><img src=x onerror=alert(1)>',
}


@pytest.mark.parametrize("query", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_hostile_queries_render_the_search_page(client, query):
    EssayFactory(title="Housing and rent", topics=["Housing"])

    response = search_page(client, query)

    page = response.content.decode()
    assert 'id="search-q"' in page
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "\x00" not in page
    assert Essay.objects.count() == 1


@postgres_only
@pytest.mark.parametrize("separator", ["\t", "\n", "\r\n", "\u00a0", "\x00", "\u2028"])
def test_tabs_newlines_and_control_characters_between_words_still_separate_them(client, separator):
    # A query pasted from a document often has a tab, a line break or a non-breaking space
    # between words; each must count as a space, not glue the words into one.
    EssayFactory(title="Allotments and beekeeping together")

    response = search_page(client, f"allotments{separator}beekeeping")

    assert result_titles(response) == ["Allotments and beekeeping together"]


@pytest.mark.parametrize(
    "query_string",
    ["q=%ff%fe%ED%A0%80", "q=%00", "q=%C0%AF", "q=a&q=%22&q=-", "q[]=housing", "q=%25%27%22"],
)
def test_malformed_query_strings_render_the_search_page(client, query_string):
    EssayFactory(title="Housing")

    response = client.get(f"/search/?{query_string}")

    assert response.status_code == 200
    assert 'id="search-q"' in response.content.decode()


def test_html_in_the_query_is_escaped_where_it_is_echoed(client):
    response = search_page(client, "<script>alert(1)</script>")

    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page  # the search box
    assert "&lt;script&gt;" in re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def test_sql_looking_query_is_just_text(client):
    EssayFactory(title="Housing")

    response = search_page(client, "'; DROP TABLE essays_essay; --")

    assert Essay.objects.count() == 1
    assert "DROP TABLE essays_essay" in text_of(response)


def test_empty_query_shows_the_form_without_results(client):
    EssayFactory(title="Housing")

    response = search_page(client, "")

    assert results(response) == []
    assert not elements(response.content.decode(), "h2", "search-count")


def test_search_page_without_q_parameter_renders(client):
    response = client.get("/search/")

    assert response.status_code == 200
    assert 'id="search-q"' in response.content.decode()


@postgres_only
def test_no_results_suggests_topics_in_use(client):
    EssayFactory(title="Housing essay", topics=["Housing", "Co-operatives"])
    EssayFactory(title="Draft", status=Status.DRAFT, published_at=None, topics=["Secret topic"])

    response = search_page(client, "zebras")

    page = response.content.decode()
    assert results(response) == []
    assert "/topics/housing/" in hrefs(page)
    assert "/topics/co-operatives/" in hrefs(page)
    assert "/topics/secret-topic/" not in hrefs(page)


# Cost -------------------------------------------------------------------------------------


def _count_queries(client, query):
    with CaptureQueriesContext(connection) as context:
        response = search_page(client, query)
    return len(context.captured_queries), response


@postgres_only
def test_query_count_of_a_results_page_does_not_grow_with_its_results(client):
    topics = ["Allotments", "Land", "Food"]
    series = SeriesFactory(title="Allotments series")
    series.topics.set(topics)
    EssayFactory(title="Allotments one", series=series, topics=topics)
    few, response = _count_queries(client, "allotments")
    assert len(results(response)) == 2

    authors = [AuthorFactory() for _ in range(3)]
    for number in range(18):
        EssayFactory(
            title=f"Allotments {number}",
            series=series,
            series_position=number,
            authors=authors,
            topics=topics,
        )
    for number in range(3):
        SeriesFactory(title=f"Allotments series {number}").topics.set(topics)
    many, response = _count_queries(client, "allotments")

    assert len(results(response)) == 20
    assert many == few, f"{few} queries for 2 results, {many} for 20"
    assert many <= 10


# The stored document and its indexes ------------------------------------------------------


@postgres_only
def test_gin_indexes_exist_on_the_stored_search_documents():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes "
            "WHERE indexname IN ('essay_search_gin', 'series_search_gin')"
        )
        rows = {name: (table, definition) for name, table, definition in cursor.fetchall()}

    assert set(rows) == {"essay_search_gin", "series_search_gin"}
    assert rows["essay_search_gin"][0] == "essays_essay"
    assert rows["series_search_gin"][0] == "series_series"
    for _, definition in rows.values():
        assert "USING gin (search_document)" in definition


@postgres_only
@pytest.mark.parametrize(
    ("model", "index"), [(Essay, "essay_search_gin"), (Series, "series_search_gin")]
)
def test_the_search_filter_can_use_the_gin_index(model, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned
    query = SearchQuery("public services", search_type="websearch", config=search.CONFIG)

    plan = model.objects.filter(search_document=query).explain()

    assert index in plan, plan


@postgres_only
def test_the_search_document_is_stored_on_save():
    essay = EssayFactory(title="Allotments", authors=[AuthorFactory(name="Ada Lovelace")])
    series = SeriesFactory(title="Orchards")

    essay_document = Essay.objects.values_list("search_document", flat=True).get(pk=essay.pk)
    series_document = Series.objects.values_list("search_document", flat=True).get(pk=series.pk)

    assert "'allot':1A" in essay_document
    assert "'lovelac'" in essay_document
    assert "'orchard':1A" in series_document


# The substring search SQLite uses (plain ORM, so it is exercised here too) ----------------


@pytest.fixture
def substring_search(monkeypatch):
    monkeypatch.setattr(search, "uses_postgres", lambda: False)


def substring_hits(query):
    finder = search.Search(query)
    assert not finder.postgres
    return finder.hits(list(finder.rows()))


def test_substring_search_finds_title_standfirst_body_and_author_matches(client, substring_search):
    EssayFactory(title="Allotments in title", published_at=days_ago(4))
    EssayFactory(title="Standfirst", standfirst="Why allotments matter.", published_at=days_ago(3))
    EssayFactory(
        title="Body",
        body="<p>Councils ran <strong>allotments</strong>.</p>",
        published_at=days_ago(2),
    )
    EssayFactory(
        title="Author", authors=[AuthorFactory(name="Allotments Jones")], published_at=days_ago(1)
    )
    EssayFactory(title="Draft allotments", status=Status.DRAFT, published_at=None)
    EssayFactory(title="Unrelated")

    hits = substring_hits("allotments")

    titles = [hit.object.title for hit in hits]
    assert titles[:2] == ["Allotments in title", "Standfirst"]
    assert set(titles) == {"Allotments in title", "Standfirst", "Body", "Author"}
    snippets_by_title = {hit.object.title: str(hit.snippet) for hit in hits}
    assert "<mark>allotments</mark>" in snippets_by_title["Standfirst"]
    assert "<mark>allotments</mark>" in snippets_by_title["Body"]
    assert "<strong>" not in snippets_by_title["Body"]

    response = search_page(client, "allotments")  # the same page, on the simpler search
    assert set(result_titles(response)) == set(titles)
    assert count_heading(response) == "4 results for “allotments”"


def test_substring_search_is_case_insensitive_finds_series_and_escapes_snippets(
    substring_search,
):
    EssayFactory(
        title="Essay",
        body="<p>Members &amp; <b>friends</b> of the Orchard &lt;script&gt;.</p>",
    )
    SeriesFactory(title="Orchards series", intro="<p>Orchards everywhere.</p>")

    hits = substring_hits("ORCHARD")

    assert {(hit.kind, hit.object.title) for hit in hits} == {
        ("essay", "Essay"),
        ("series", "Orchards series"),
    }
    essay_snippet = str(next(hit.snippet for hit in hits if hit.kind == "essay"))
    assert "<mark>Orchard</mark>" in essay_snippet
    assert "&amp;" in essay_snippet
    assert "&lt;script&gt;" in essay_snippet
    assert set(re.findall(r"</?([a-zA-Z]+)", essay_snippet)) == {"mark"}


@pytest.mark.parametrize("query", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_substring_search_page_survives_hostile_queries(client, substring_search, query):
    EssayFactory(title="Housing and rent", topics=["Housing"])

    response = search_page(client, query)

    assert 'id="search-q"' in response.content.decode()
