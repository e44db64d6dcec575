"""Full-text search over published essays and series.

On PostgreSQL each essay and series stores a weighted `tsvector` (title A; standfirst,
author names and topics B; body C), GIN-indexed and refreshed whenever the essay, its
bylines, its authors or its topics change. Queries use web-search syntax ("a phrase",
-word, or). SQLite, the embedded default, gets a simpler substring search on the same page.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchVector,
)
from django.db import connection, connections
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from essays.models import Essay, EssayAuthor, TaggedEssay
from series.models import Series, TaggedSeries

CONFIG = "english"
MAX_QUERY_LENGTH = 300
# Control characters never appear in documents, so they mark matches safely until escaping.
MARK_START, MARK_END = "\x02", "\x03"


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def clean_query(raw: str) -> str:
    """Return the reader's query, bounded and without characters databases refuse."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(cleaned.split())[:MAX_QUERY_LENGTH]


def _names_of(through_model, owner_field, name_path, order_by):
    """A subquery: the space-joined names (authors, topics) attached to the outer row.

    In a fixed order, so the same essay always gets the same document.
    """
    return Coalesce(
        Subquery(
            through_model.objects.filter(**{owner_field: OuterRef("pk")})
            .order_by()
            .values(owner_field)
            .annotate(names=StringAgg(name_path, Value(" "), order_by=order_by))
            .values("names")[:1],
            output_field=CharField(),
        ),
        Value(""),
    )


def essay_document(body_vector=None):
    """Return an essay's weighted document: title A; standfirst, authors and topics B; body C.

    `body_vector` stands in for the body's part (weight C), for a caller that already has
    it: `generate_content` builds the bodies of synthetic essays from known paragraphs.
    """
    if body_vector is None:
        body_vector = SearchVector("body", weight="C", config=CONFIG)
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("standfirst", weight="B", config=CONFIG)
        + SearchVector(
            _names_of(EssayAuthor, "essay", "author__name", ("position", "pk")),
            weight="B",
            config=CONFIG,
        )
        + SearchVector(
            _names_of(TaggedEssay, "content_object", "tag__name", ("tag__name",)),
            weight="B",
            config=CONFIG,
        )
        + body_vector
    )


def series_document():
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("standfirst", weight="B", config=CONFIG)
        + SearchVector(
            _names_of(TaggedSeries, "content_object", "tag__name", ("tag__name",)),
            weight="B",
            config=CONFIG,
        )
        + SearchVector("intro", weight="C", config=CONFIG)
    )


def refresh_essays(essay_ids) -> None:
    """Recompute the stored search documents of these essays (one UPDATE)."""
    if uses_postgres() and essay_ids:
        Essay.objects.filter(pk__in=list(essay_ids)).update(search_document=essay_document())


def refresh_series(series_ids) -> None:
    if uses_postgres() and series_ids:
        Series.objects.filter(pk__in=list(series_ids)).update(search_document=series_document())


# websearch_to_tsquery turns a hyphenated word into a phrase of the whole word and its
# parts: "co-operative" gives 'co-op' <-> 'co' <-> 'oper'. The GIN index cannot check a
# phrase (it holds no positions), so every document with the three lexemes would be read
# back to check it: thousands, for a word that common. The whole word's lexeme alone
# finds the same documents (the parser always writes the parts after it), so a phrase
# that is only one hyphenated word becomes that lexeme. Phrases the reader quoted keep
# their words' order.
COMPOUND_WORD = (
    r"(^|[&|!(] ?)'((?:[^']|'')+-(?:[^']|'')+)'(?: <(?:-|[0-9]+)> '(?:[^']|'')+')+(?=$| [&|)])"
)


class WebSearchQuery(SearchQuery):
    """A web-search-syntax query whose hyphenated words the GIN index answers alone."""

    def __init__(self, value):
        super().__init__(value, search_type="websearch", config=CONFIG)

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = super().as_sql(compiler, connection, function, template)
        return (
            f"regexp_replace(({sql})::text, %s, %s, 'g')::tsquery",
            (*params, COMPOUND_WORD, r"\1'\2'"),
        )


def _body_or(*, standfirst, body):
    """The text a snippet is cut from: the body, or the standfirst when there is no body.

    Not both: bodies often open with their standfirst, and a snippet should not repeat it.
    """
    return Case(When(**{body: ""}, then=F(standfirst)), default=F(body), output_field=TextField())


# Highlighting parses the whole text it is given: about 1.5 ms for an essay of a few
# thousand words, most of a search page's time. It is given a window of the body instead,
# from a little before the first place one of the reader's words appears (or the start):
# room for the two fragments a snippet shows, each of up to 40 words.
WINDOW_BEFORE = 600  # characters of HTML
WINDOW_LENGTH = 2000


def snippet_prefixes(query: str) -> list[str]:
    """Return lower-case beginnings of the words a reader searched for, to find in a text.

    A word's beginning stands for the word's forms ("mutualism" finds "mutual", "policies"
    finds "policy"); excluded words (-word) and the operator "or" are left out.
    """
    prefixes = []
    for sign, word in re.findall(r"(-?)([^\W_]+(?:[-'][^\W_]+)*)", query.lower()):
        if sign or word == "or":
            continue
        prefix = word[: max(4, len(word) - 3)]
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes[:5]


class TextAround(Func):
    """SQL: the plain text of a window of an HTML text, starting a little before the first
    occurrence of any of `prefixes` (given in lower case; found in lower case or
    capitalised), or at the start when none occurs.

    The window is cut from the HTML and then stripped of tags, a tag cut in two at either
    end included: stripping the whole body first would cost what the window saves.
    """

    output_field = TextField()

    def __init__(self, text, prefixes):
        super().__init__(text)
        self.prefixes = list(prefixes)

    def as_sql(self, compiler, connection, **extra_context):
        text, text_params = compiler.compile(self.source_expressions[0])
        # Each word's beginning in lower case and capitalised, as sentences start: lower()
        # over the whole body would cost more than all the rest of the snippet.
        forms = list(dict.fromkeys(f for p in self.prefixes for f in (p, p[:1].upper() + p[1:])))
        found = ", ".join(["NULLIF(strpos(doc, %s), 0)"] * len(forms))
        first = f"COALESCE(LEAST({found}), 1)" if forms else "1"
        # Nested subqueries that the planner keeps (OFFSET 0), so that each value is
        # computed once per row: the body is decompressed once (`|| ''` makes a plain
        # copy), searched, cut; then what precedes the first whole word of a mid-way cut
        # (part of a tag, of a word) is dropped, and a tag cut in two at the end, then tags.
        sql = (
            "(SELECT regexp_replace(regexp_replace("  # noqa: S608 - words are parameters
            "CASE WHEN snippet_start > 1 THEN regexp_replace(cut, '^([^<>]*>|\\S*\\s)', '') "
            "ELSE cut END, '<[^>]*$', ''), '<[^>]+>', ' ', 'g') "
            f"FROM (SELECT snippet_start, substring(doc from snippet_start for {WINDOW_LENGTH}) "
            "AS cut FROM (SELECT doc, "
            f"GREATEST(1, {first} - {WINDOW_BEFORE}) AS snippet_start "
            f"FROM (SELECT ({text}) || '' AS doc OFFSET 0) AS body_text OFFSET 0) AS located "
            "OFFSET 0) AS windowed)"
        )
        return sql, [*forms, *text_params]


@dataclass
class Hit:
    kind: str  # "essay" or "series"
    object: object
    snippet: str


def render_snippet(text: str) -> str:
    """Escape a snippet and turn the match markers into <mark> elements."""
    safe = escape(html.unescape(text))
    safe = safe.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(safe)  # noqa: S308 - escaped above; only our own markers become tags


# Results a search lists at most: the newest matches of each kind, ranked. Ranking reads
# each match's whole document, so ranking every match of a common word would cost more
# the more the site publishes; these few cost the same at 100 essays as at 100,000. The
# page says "more than" when there were more, and the reader narrows the search.
MAX_RESULTS = 60


class Search:
    """A search over published essays and series: `rows()`, then `hits()` for a page."""

    def __init__(self, query: str):
        self.query = query
        self.postgres = uses_postgres()
        self.more = False  # whether rows() left matches out
        if self.postgres:
            self.ts_query = SearchQuery(query, search_type="websearch", config=CONFIG)
            self.match_query = WebSearchQuery(query)

    def rows(self):
        """Return up to MAX_RESULTS (kind, pk, rank, published_at) rows, best first.

        Per kind: the newest matches (down the publication-date index, or for a rare word
        through the search index), then only those ranked. `more` says whether matches
        were left out.
        """
        essays = Essay.objects.published()
        series = Series.objects.published()
        if self.postgres:
            essays = essays.filter(search_document=self.match_query)
            series = series.filter(search_document=self.match_query)
        else:
            # EXISTS, not joins: an essay two authors' names match is one match.
            credited = EssayAuthor.objects.filter(
                essay=OuterRef("pk"), author__name__icontains=self.query
            )
            tagged = TaggedEssay.objects.filter(
                content_object=OuterRef("pk"), tag__name__icontains=self.query
            )
            essays = essays.filter(
                Q(title__icontains=self.query)
                | Q(standfirst__icontains=self.query)
                | Q(Exists(credited))
                | Q(Exists(tagged))
                | Q(body__icontains=self.query)
            )
            series = series.filter(
                Q(title__icontains=self.query)
                | Q(standfirst__icontains=self.query)
                | Q(intro__icontains=self.query)
            )
            rank = self._substring_rank()
        rows = []
        for kind, matches in (("essay", essays), ("series", series)):
            newest = matches.order_by("-published_at", "-pk")
            if self.postgres:
                ranked = self._rank_newest(newest)
            else:
                ranked = list(
                    newest.annotate(rank=rank).values_list("pk", "rank", "published_at")[
                        : MAX_RESULTS + 1
                    ]
                )
            if len(ranked) > MAX_RESULTS:
                self.more = True
                ranked = ranked[:MAX_RESULTS]  # the oldest match goes
            rows += [(kind, pk, rank, published_at) for pk, rank, published_at in ranked]
        rows.sort(key=lambda row: (row[2], row[3], row[1]), reverse=True)
        if len(rows) > MAX_RESULTS:
            self.more = True
        return rows[:MAX_RESULTS]

    def _rank_newest(self, newest):
        """Return (pk, rank, published_at) of the MAX_RESULTS + 1 first of `newest`.

        The limit is taken in a subquery and the rank computed outside it, so PostgreSQL
        ranks (reading whole documents) only the rows kept, whichever way it finds them:
        down the publication-date index for a common word, through the search index and a
        sort for a rare one. One query, and no second pass over the table.
        """
        limited = newest.values_list("pk", "published_at", "search_document")[: MAX_RESULTS + 1]
        query = limited.query
        newest_sql, newest_params = query.sql_with_params()
        compiler = query.get_compiler(using=limited.db)
        match_sql, match_params = compiler.compile(self.match_query.resolve_expression(query))
        # Both parts are SQL Django compiled; the reader's words are parameters.
        sql = (
            f"SELECT newest.pk, ts_rank(newest.document, {match_sql}), newest.published_at "  # noqa: S608
            f"FROM ({newest_sql}) AS newest (pk, published_at, document) "
            "ORDER BY newest.published_at DESC, newest.pk DESC"
        )
        with connections[limited.db].cursor() as cursor:
            cursor.execute(sql, (*match_params, *newest_params))
            return cursor.fetchall()

    def _substring_rank(self):
        return Case(
            When(title__icontains=self.query, then=Value(3.0)),
            When(standfirst__icontains=self.query, then=Value(2.0)),
            default=Value(1.0),
            output_field=FloatField(),
        )

    def hits(self, rows) -> list[Hit]:
        """Return the page's results, in the page's order, with highlighted snippets."""
        essay_ids = [pk for kind, pk, _, _ in rows if kind == "essay"]
        series_ids = [pk for kind, pk, _, _ in rows if kind == "series"]
        essays = Essay.objects.with_listing_data()
        series = Series.objects.prefetch_related("topics")
        if self.postgres:
            essays = essays.annotate(
                snippet=self._headline(_body_or(standfirst="standfirst", body="body"))
            )
            series = series.annotate(
                snippet=self._headline(_body_or(standfirst="standfirst", body="intro"))
            )
        loaded = {
            "essay": essays.in_bulk(essay_ids) if essay_ids else {},
            "series": series.in_bulk(series_ids) if series_ids else {},
        }
        hits = []
        for kind, pk, _, _ in rows:
            item = loaded[kind].get(pk)
            if item is None:
                continue
            snippet = item.snippet if self.postgres else self._substring_snippet(item, kind)
            hits.append(Hit(kind, item, render_snippet(snippet)))
        return hits

    def _headline(self, text):
        return SearchHeadline(
            TextAround(text, snippet_prefixes(self.query)),
            self.ts_query,
            config=CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            max_words=40,
            min_words=20,
            max_fragments=2,
            fragment_delimiter=" … ",
        )

    def _substring_snippet(self, item, kind, width=220):
        text = " ".join(
            strip_tags(f"{item.standfirst} {item.body if kind == 'essay' else item.intro}").split()
        )
        text = html.unescape(text)
        match = re.search(re.escape(self.query), text, flags=re.IGNORECASE)
        if match is None:
            return text[:width]
        start = max(0, match.start() - width // 2)
        excerpt = text[start : start + width]
        marked = re.sub(
            re.escape(self.query),
            lambda m: f"{MARK_START}{m.group(0)}{MARK_END}",
            excerpt,
            flags=re.IGNORECASE,
        )
        return ("… " if start else "") + marked + " …"
