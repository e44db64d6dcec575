"""Pages cost the same at 100,000 essays as at 100: their queries walk indexes and stop.

PostgreSQL only (the production database; `make test` runs the suite on it). A few
thousand synthetic essays are made once for the module with `generate_content` and
ANALYZEd, so the planner chooses as it would on a large site; on a tiny table it rightly
prefers to read the whole table. Each test renders a page, then runs every query the page
ran through EXPLAIN ANALYZE and checks, node by node:

- no sequential scan of a content table (essays, series, bylines, topics) that holds more
  rows than a page may read: the corpus's hundred series are rightly read whole, and
  those rows still count against the page's budget;
- each content table read for no more rows than a page needs (a scan that walks an index
  from the newest entry and filters is no better than a sequential scan);
- no OFFSET and no paginator COUNT: a page is found by its cursor, never by counting.

Reintroducing OFFSET pagination, a COUNT over the listing, a join aggregated over every
essay, or a plan that reads a whole table fails here.
"""

import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from essays import search
from essays.models import Author, Essay
from essays.pagination import PAGE_SIZE, Position
from essays.views import ideas_sources
from thinktank import sitemaps

ESSAYS = 4000
CONTENT_TABLES = {
    "essays_essay",
    "series_series",
    "essays_essayauthor",
    "essays_taggedessay",
    "series_taggedseries",
}
# Rows a page may read from one content table: a page of 20, the filters' rejects
# (a topic holds about one essay in six), a few lookups per entry. A small fraction of
# the corpus; the whole table is ESSAYS rows (bylines and topics two or three times that).
PAGE_BUDGET = 400


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    """Synthetic content for the module, analysed, and rolled back at the end."""
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", "run this test on PostgreSQL (DATABASE_URL)"
        with transaction.atomic():
            call_command("load_demo_content", verbosity=0)
            call_command("generate_content", essays=ESSAYS, words=300, verbosity=0)
            yield
            transaction.set_rollback(True)


@pytest.fixture
def site(corpus, db):
    return None


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explained(client, url):
    """Render `url`; return (sql, root plan node) for every SELECT it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) {sql}")
            plans.append((sql, cursor.fetchone()[0][0]["Plan"]))
    return plans


def rows_read(node):
    """Rows a scan node read: those it returned and those its filters threw away."""
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return per_loop * node.get("Actual Loops", 1)


def table_rows(table):
    """The planner's count of the table's rows (it was ANALYZEd with the corpus)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


PAGINATOR_COUNT = re.compile(r'^\s*SELECT COUNT\(\*\) AS "__count"')


def assert_page_walks_indexes(client, url, budget=PAGE_BUDGET, count_allowed=False):
    """Assert the page's queries never scan, count or skip through a content table.

    Return the plans, and the indexes they used, for more specific checks.
    """
    plans = explained(client, url)
    read, indexes, heaviest = Counter(), set(), {}
    for sql, plan in plans:
        # OFFSET 0 skips nothing: it keeps a subquery from being merged (essays.search).
        assert not re.search(r"\bOFFSET\b(?!\s+0\b)", sql), f"OFFSET on {url}: {sql}"
        assert count_allowed or not PAGINATOR_COUNT.search(sql), f"COUNT on {url}: {sql}"
        for node in plan_nodes(plan):
            indexes.add(node.get("Index Name"))
            table = node.get("Relation Name")
            if table not in CONTENT_TABLES:
                continue
            if node["Node Type"] == "Seq Scan":
                assert table_rows(table) <= budget, f"Seq Scan on {table} for {url}: {sql}"
            read[table] += rows_read(node)
            if rows_read(node) > heaviest.get(table, (0, ""))[0]:
                heaviest[table] = (rows_read(node), sql)
    for table, rows in read.items():
        # Bylines and topics: each essay looked up has two or three of them.
        limit = budget if table in {"essays_essay", "series_series"} else 3 * budget
        assert rows <= limit, f"{url} read {rows} rows of {table}; most in: {heaviest[table]}"
    return plans, indexes


def deep_cursor(topic=None):
    """Return the `before` token of the page that holds the 40 oldest entries."""
    positions = []
    for kind, queryset in ideas_sources(topic).items():
        oldest = queryset.order_by("published_at", "pk")[:41]
        positions += [Position.of(kind, row) for row in oldest]
    return sorted(positions)[40].token


def busiest_topic():
    return Tag.objects.filter(slug="housing").get()


# Ideas & Debate -------------------------------------------------------------------------


def test_ideas_first_page_walks_the_publication_indexes(client, site):
    _, indexes = assert_page_walks_indexes(client, "/ideas/")

    assert {"essay_published_idx", "series_published_idx"} <= indexes


def test_ideas_deep_page_costs_what_the_first_does(client, site):
    _, indexes = assert_page_walks_indexes(client, f"/ideas/?before={deep_cursor()}")

    assert "essay_published_idx" in indexes


def test_ideas_by_topic_first_and_deep_pages_walk_the_indexes(client, site):
    topic = busiest_topic()

    assert_page_walks_indexes(client, f"/ideas/?topic={topic.slug}")
    assert_page_walks_indexes(client, f"/ideas/?topic={topic.slug}&before={deep_cursor(topic)}")


def test_walking_back_with_newer_links_walks_the_indexes_too(client, site):
    cursor = deep_cursor()
    page = client.get(f"/ideas/?before={cursor}").content.decode()
    newer = re.search(r'<a rel="prev" href="([^"]+)"', page).group(1).replace("&amp;", "&")

    assert_page_walks_indexes(client, f"/ideas/{newer}")


# Topic and author pages ------------------------------------------------------------------


def test_topic_page_and_its_deep_pages_walk_the_indexes(client, site):
    topic = busiest_topic()
    essays = Essay.objects.published().filter(topics=topic).order_by("published_at", "pk")
    cursor = Position.of("essay", essays[40]).token

    assert_page_walks_indexes(client, f"/topics/{topic.slug}/")
    assert_page_walks_indexes(client, f"/topics/{topic.slug}/?before={cursor}")


def test_author_page_pages_through_a_prolific_authors_essays(client, site):
    author = (
        Author.objects.annotate(count=Count("essays"))
        .filter(count__gt=2 * PAGE_SIZE)  # several pages
        .order_by("-count")
        .first()
    )
    essays = author.essays.published().order_by("published_at", "pk")
    cursor = Position.of("essay", essays[5]).token

    assert_page_walks_indexes(client, author.get_absolute_url())
    assert_page_walks_indexes(client, f"{author.get_absolute_url()}?before={cursor}")


# Search -----------------------------------------------------------------------------------


def test_search_for_common_words_ranks_a_bounded_set_without_counting(client, site):
    # About one essay in six carries the "Co-operatives" topic; "mutual" is in most bodies.
    # The newest matches are found down the date index (reading the non-matches between
    # them) or through the search index (reading the matches): never anything else.
    matches = Essay.objects.filter(search_document=search.WebSearchQuery("mutual co-operative"))
    budget = max(matches.count(), (search.MAX_RESULTS + 1) * 8) + 2 * search.MAX_RESULTS

    plans, indexes = assert_page_walks_indexes(
        client, "/search/?q=mutual+co-operative", budget=budget
    )

    assert indexes & {"essay_published_idx", "essay_search_gin"}
    assert_ranks_only_the_newest_matches(plans)


def assert_ranks_only_the_newest_matches(plans):
    """Ranking reads whole documents: only the MAX_RESULTS + 1 kept are ranked, not all."""
    ranked = [
        node
        for _, plan in plans
        for node in plan_nodes(plan)
        if any("ts_rank" in column for column in node.get("Output", []))
    ]
    assert ranked, "no query ranked the matches"
    for node in ranked:
        assert node["Actual Rows"] * node.get("Actual Loops", 1) <= search.MAX_RESULTS + 1


def test_search_for_a_rare_word_uses_the_search_index(client, site):
    essay = Essay.objects.published().first()
    Essay.objects.filter(pk=essay.pk).update(title="Zanzibar")
    search.refresh_essays([essay.pk])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE essays_essay")

    _, indexes = assert_page_walks_indexes(client, "/search/?q=zanzibar")

    assert "essay_search_gin" in indexes


def test_a_word_too_rare_for_the_date_index_is_sorted_before_it_is_ranked(client, site):
    # 150 of 4,000 essays: walking the date index to the 61st match would read about 1,600
    # rows, so the planner reads the 150 through the search index and sorts them by date.
    chosen = list(Essay.objects.published().values_list("pk", flat=True)[:150])
    Essay.objects.filter(pk__in=chosen).update(title="Zanzibar")
    search.refresh_essays(chosen)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE essays_essay")

    plans, indexes = assert_page_walks_indexes(client, "/search/?q=zanzibar", budget=300)

    assert "essay_search_gin" in indexes
    assert_ranks_only_the_newest_matches(plans)


def test_hyphenated_words_are_answered_by_the_search_index_alone(site):
    # A phrase makes PostgreSQL read every candidate document back to check positions;
    # "co-operative" alone must not be one. Phrases the reader quotes stay phrases.
    def tsquery(text):
        query = Essay.objects.annotate(q=search.WebSearchQuery(text)).values_list("q")
        return query.first()[0]

    assert tsquery("mutual co-operative") == "'mutual' & 'co-op'"
    assert tsquery("co-operative or -state-of-the-art") == "'co-op' | !'state-of-the-art'"
    assert tsquery('"public co-operative services"') == (
        "'public' <-> 'co-op' <-> 'co' <-> 'oper' <-> 'servic'"
    )


# The other pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/", PAGE_BUDGET),
        ("/series/mutualism-social-democratic-policy-in-an-age-of-austerity/", PAGE_BUDGET),
        ("/essays/the-new-wave-of-mutuality/", PAGE_BUDGET),
        ("/feeds/essays/", PAGE_BUDGET),
        ("/topics/housing/feed/", PAGE_BUDGET * 2),  # 20 entries, one essay in six
        ("/sitemap-essays.xml", PAGE_BUDGET),
    ],
)
def test_other_pages_walk_the_indexes(client, site, url, budget):
    assert_page_walks_indexes(client, url, budget=budget)


def test_a_series_sitemap_page_reads_its_block_of_series_and_their_essays(
    client, site, monkeypatch
):
    # The corpus has about a hundred series, one page's worth at the real page size; a
    # smaller page shows the reads are of one block, not of the table.
    monkeypatch.setattr(sitemaps.SeriesSitemap, "limit", 10)

    assert_page_walks_indexes(client, "/sitemap-series.xml?p=3", budget=10 * 20)


@pytest.mark.parametrize("url", ["/sitemap.xml", "/sitemap-topics.xml"])
def test_sitemap_index_and_topics_walk_the_indexes(client, site, url):
    # Numbered pages of topics are fine: a site has dozens of topics, counted quickly.
    assert_page_walks_indexes(client, url, count_allowed=True)


def test_a_deep_sitemap_page_reads_one_block_of_the_primary_key(client, site):
    pages = client.get("/sitemap.xml").content.decode().count("sitemap-essays.xml")

    assert pages > 10
    assert_page_walks_indexes(client, f"/sitemap-essays.xml?p={pages}")
