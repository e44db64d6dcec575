# ruff: noqa: RUF001 - the citation styles are written with typographic quotes
"""Cite this essay: APA 7, Chicago and Harvard on the page, BibTeX and RIS downloads.

Every format comes from one `Citation`, so the tests check each field of each format for a
two-author essay (byline order kept) and for one whose authors' names carry accents.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from essays.citations import (
    Citation,
    Name,
    apa,
    apa_html,
    bibtex,
    chicago,
    essay_url,
    harvard,
    latex_escape,
    parse_name,
    ris,
)
from series.models import SiteSettings, Status
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import elements, hrefs, text_of

SITE_URL = "https://www.policy-network.example"
ACCESSED = dt.date(2026, 11, 29)
SERIES_TITLE = "Mutualism: social democratic policy in an age of austerity"
TODD_TITLE = "Investing in the mutualisation of public services"
TODD_URL = f"{SITE_URL}/essays/investing-in-the-mutualisation-of-public-services/"
TODD_STANDFIRST = (
    "It is imperative that emerging mutuals are connected to sources of finance which can "
    "provide funding on terms which value the wider social importance of the model"
)
ACCENTED_TITLE = "Økonomi and the co-operative state"
SPECIALS_TITLE = r"R&D, 50% & #1_tax: {braces}, ~tilde, ^caret, back\slash and $5"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def todd_essay(db):
    """The seed's two-author essay, in a series; 23:30 UTC is already the 28th in London."""
    return EssayFactory(
        title=TODD_TITLE,
        standfirst=TODD_STANDFIRST,
        series=SeriesFactory(title=SERIES_TITLE),
        published_at=dt.datetime(2011, 6, 27, 23, 30, tzinfo=dt.UTC),
        authors=[AuthorFactory(name="Richard Todd"), AuthorFactory(name="Ben Williams")],
    )


@pytest.fixture
def accented_essay(db):
    return EssayFactory(
        title=ACCENTED_TITLE,
        slug="okonomi",
        standfirst="Søren’s “mutual” state.",
        published_at=dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC),
        authors=[
            AuthorFactory(name="José Müller-Łukasiewicz"),
            AuthorFactory(name="Zoë Brontë"),
            AuthorFactory(name="Søren Kierkegaard"),
        ],
    )


def citation_of(essay):
    return Citation.for_essay(essay, "Policy Network", essay_url(essay), accessed=ACCESSED)


def parse_bibtex(text):
    """Return (entry type, key, {field: value}) of a single BibTeX entry.

    Braced values are read as BibTeX reads them: by counting braces, backslashes or not.
    """
    head = re.match(r"@(\w+)\{([^,\s]+),\n", text)
    assert head, text
    fields, pos = {}, head.end()
    while True:
        field = re.compile(r"\s*(\w+) = ").match(text, pos)
        if not field:
            break
        pos = field.end()
        if text[pos] == "{":
            depth, start = 0, pos
            for pos in range(start, len(text)):
                depth += {"{": 1, "}": -1}.get(text[pos], 0)
                if depth == 0:
                    break
            value, pos = text[start + 1 : pos], pos + 1
        else:
            value = re.compile(r"\w+").match(text, pos)[0]
            pos += len(value)
        assert text[pos] == ",", text[pos:]
        fields[field[1]] = value
        pos += 1
    assert text[pos:] == "\n}\n"
    return head[1], head[2], fields


def assert_balanced_braces(text):
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, text
    assert depth == 0, text


def parse_ris(text):
    """Return the RIS record as [(tag, value), ...], checking every line's shape and ending."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    lines = text.removesuffix("\r\n").split("\r\n")
    pairs = []
    for line in lines:
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, repr(line)
        pairs.append((match[1], match[2]))
    assert pairs[0] == ("TY", "ELEC")
    assert lines[-1] == "ER  - "
    return pairs


def ris_values(pairs, tag):
    return [value for key, value in pairs if key == tag]


# Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("Richard Todd", "Todd", "Richard"),
        ("Jan van der Berg", "van der Berg", "Jan"),
        ("Ludwig van Beethoven", "van Beethoven", "Ludwig"),
        ("Maria de la Cruz", "de la Cruz", "Maria"),
        ("Mary Ann  Evans", "Evans", "Mary Ann"),
        ("José Müller-Łukasiewicz", "Müller-Łukasiewicz", "José"),
        ("Martien Kuitenbrouwer", "Kuitenbrouwer", "Martien"),
        ("Plato", "Plato", ""),
    ],
)
def test_author_names_split_into_family_and_given_keeping_particles(name, family, given):
    assert parse_name(name) == Name(family, given)


# The two-author essay ---------------------------------------------------------------------


def test_citation_reads_bylines_in_order_with_the_london_publication_date(todd_essay):
    citation = citation_of(todd_essay)

    assert citation.authors == (Name("Todd", "Richard"), Name("Williams", "Ben"))
    assert citation.published == dt.date(2011, 6, 28)
    assert citation.series == SERIES_TITLE
    assert citation.url == TODD_URL
    assert citation.publisher == "Policy Network"


def test_apa_for_two_authors(todd_essay):
    assert apa(citation_of(todd_essay)) == (
        f"Todd, R., & Williams, B. (2011, June 28). {TODD_TITLE}. {SERIES_TITLE}. "
        f"Policy Network. {TODD_URL}"
    )


def test_apa_html_italicises_the_title_and_escapes_everything(todd_essay):
    assert apa_html(citation_of(todd_essay)) == (
        f"Todd, R., &amp; Williams, B. (2011, June 28). <i>{TODD_TITLE}</i>. {SERIES_TITLE}. "
        f"Policy Network. {TODD_URL}"
    )


def test_chicago_for_two_authors(todd_essay):
    assert chicago(citation_of(todd_essay)) == (
        f"Todd, Richard, and Ben Williams. “{TODD_TITLE}.” {SERIES_TITLE}. "
        f"Policy Network, June 28, 2011. {TODD_URL}."
    )


def test_harvard_for_two_authors(todd_essay):
    assert harvard(citation_of(todd_essay)) == (
        f"Todd, R. and Williams, B. (2011) ‘{TODD_TITLE}’, {SERIES_TITLE}. Policy Network. "
        f"Available at: {TODD_URL} (Accessed: 29 November 2026)."
    )


def test_bibtex_for_two_authors_field_by_field(todd_essay):
    text = bibtex(citation_of(todd_essay))

    entry_type, key, fields = parse_bibtex(text)
    assert (entry_type, key) == ("online", "todd2011investing")
    assert fields == {
        "author": "Todd, Richard and Williams, Ben",
        "title": "{" + TODD_TITLE + "}",
        "series": SERIES_TITLE,
        "date": "2011-06-28",
        "year": "2011",
        "month": "jun",
        "organization": "Policy Network",
        "publisher": "Policy Network",
        "url": TODD_URL,
        "urldate": "2026-11-29",
        "abstract": TODD_STANDFIRST,
    }
    assert_balanced_braces(text)


def test_ris_for_two_authors_tag_by_tag(todd_essay):
    pairs = parse_ris(ris(citation_of(todd_essay)))

    assert pairs == [
        ("TY", "ELEC"),
        ("AU", "Todd, Richard"),
        ("AU", "Williams, Ben"),
        ("TI", TODD_TITLE),
        ("T2", SERIES_TITLE),
        ("PB", "Policy Network"),
        ("PY", "2011"),
        ("DA", "2011/06/28"),
        ("UR", TODD_URL),
        ("Y2", "2026/11/29"),
        ("AB", TODD_STANDFIRST),
        ("ER", ""),
    ]


def test_byline_positions_not_names_set_the_author_order(db):
    essay = EssayFactory(
        title="Order", authors=[AuthorFactory(name="Zed Last"), AuthorFactory(name="Abe First")]
    )
    citation = citation_of(essay)

    assert apa(citation).startswith("Last, Z., & First, A. (")
    assert ris_values(parse_ris(ris(citation)), "AU") == ["Last, Zed", "First, Abe"]
    assert parse_bibtex(bibtex(citation))[2]["author"] == "Last, Zed and First, Abe"


def test_unpublished_series_is_left_out_of_citations(todd_essay):
    todd_essay.series.status = Status.DRAFT
    todd_essay.series.save()
    citation = citation_of(todd_essay)

    assert citation.series == ""
    assert SERIES_TITLE not in apa(citation) + chicago(citation) + harvard(citation)
    assert "T2" not in dict(parse_ris(ris(citation)))


# The accented essay -----------------------------------------------------------------------


def test_text_styles_keep_accents(accented_essay):
    citation = citation_of(accented_essay)
    url = f"{SITE_URL}/essays/okonomi/"

    assert apa(citation) == (
        "Müller-Łukasiewicz, J., Brontë, Z., & Kierkegaard, S. (2024, March 5). "
        f"{ACCENTED_TITLE}. Policy Network. {url}"
    )
    assert chicago(citation) == (
        "Müller-Łukasiewicz, José, Zoë Brontë, and Søren Kierkegaard. "
        f"“{ACCENTED_TITLE}.” Policy Network, March 5, 2024. {url}."
    )
    assert harvard(citation) == (
        "Müller-Łukasiewicz, J., Brontë, Z. and Kierkegaard, S. (2024) "
        f"‘{ACCENTED_TITLE}’. Policy Network. Available at: {url} (Accessed: 29 November 2026)."
    )


def test_bibtex_spells_accents_as_latex_commands(accented_essay):
    text = bibtex(citation_of(accented_essay))

    _, key, fields = parse_bibtex(text)
    assert key == "mullerlukasiewicz2024okonomi"
    assert fields["author"] == (
        r"M{\"u}ller-{\L}ukasiewicz, Jos{\'e} and Bront{\"e}, Zo{\"e} and Kierkegaard, S{\o}ren"
    )
    assert fields["title"] == r"{{\O}konomi and the co-operative state}"
    assert fields["abstract"] == r"S{\o}ren's ``mutual'' state."
    assert text.isascii()  # classic BibTeX reads bytes
    assert_balanced_braces(text)


@pytest.mark.parametrize(
    ("letter", "latex"),
    [
        ("é", r"{\'e}"),
        ("ü", r"{\"u}"),
        ("ñ", r"{\~n}"),
        ("ç", r"{\c{c}}"),
        ("ø", r"{\o}"),
        ("å", r"{\aa}"),
        ("Å", r"{\AA}"),
        ("ß", r"{\ss}"),
        ("ł", r"{\l}"),
        ("æ", r"{\ae}"),
        ("í", r"{\'\i}"),
        ("ő", r"{\H{o}}"),
        ("š", r"{\v{s}}"),
        ("ą", r"{\k{a}}"),
        ("ệ", r"{\^{\d{e}}}"),
        ("e\u0301", r"{\'e}"),  # a decomposed é, as some keyboards type it
    ],
)
def test_latex_escape_turns_accented_letters_into_commands(letter, latex):
    assert latex_escape(letter) == latex


def test_ris_keeps_accents_as_utf8_in_byline_order(client, accented_essay):
    response = client.get(reverse("essays:cite_ris", kwargs={"slug": accented_essay.slug}))

    pairs = parse_ris(response.content.decode("utf-8"))
    assert ris_values(pairs, "AU") == [
        "Müller-Łukasiewicz, José",
        "Brontë, Zoë",
        "Kierkegaard, Søren",
    ]
    assert ris_values(pairs, "TI") == [ACCENTED_TITLE]
    assert ris_values(pairs, "DA") == ["2024/03/05"]
    assert "T2" not in dict(pairs)


# Special characters -----------------------------------------------------------------------


def test_bibtex_escapes_latex_specials_and_keeps_braces_balanced(db):
    essay = EssayFactory(title=SPECIALS_TITLE, slug="specials", standfirst="100% {sure}_")
    text = bibtex(citation_of(essay))

    _, key, fields = parse_bibtex(text)
    assert fields["title"] == (
        r"{R\&D, 50\% \& \#1\_tax: \textbraceleft{}braces\textbraceright{}, "
        r"\textasciitilde{}tilde, \textasciicircum{}caret, back\textbackslash{}slash and \$5}"
    )
    assert fields["abstract"] == r"100\% \textbraceleft{}sure\textbraceright{}\_"
    assert key.endswith("rd")  # "R&D" → "rd": keys are ASCII letters and digits only
    assert re.fullmatch(r"[a-z0-9]+", key)
    assert_balanced_braces(text)


def test_ris_values_never_break_lines(db):
    essay = EssayFactory(
        title="A title\nover two lines", slug="lines", standfirst="One\r\nTwo\rThree  four"
    )
    pairs = parse_ris(ris(citation_of(essay)))

    assert ris_values(pairs, "TI") == ["A title over two lines"]
    assert ris_values(pairs, "AB") == ["One Two Three four"]


# Author-list rules -------------------------------------------------------------------------


def cite(*names, published=dt.date(2011, 6, 28), series=""):
    return Citation(
        authors=tuple(parse_name(name) for name in names),
        title="Why mutuals?",
        standfirst="",
        published=published,
        publisher="Policy Network",
        series=series,
        url="https://example.org/e/",
        accessed=ACCESSED,
    )


def test_single_author_in_each_style():
    citation = cite("Jean-Paul Sartre")

    assert apa(citation) == (
        "Sartre, J.-P. (2011, June 28). Why mutuals? Policy Network. https://example.org/e/"
    )
    assert chicago(citation) == (
        "Sartre, Jean-Paul. “Why mutuals?” Policy Network, June 28, 2011. https://example.org/e/."
    )
    assert harvard(citation) == (
        "Sartre, J.-P. (2011) ‘Why mutuals?’ Policy Network. "
        "Available at: https://example.org/e/ (Accessed: 29 November 2026)."
    )


def test_apa_lists_twenty_authors_then_elides_to_the_last():
    twenty = cite(*[f"Ann Writer{n}" for n in range(1, 21)])
    twenty_one = cite(*[f"Ann Writer{n}" for n in range(1, 22)])

    assert "Writer19, A., & Writer20, A. (2011" in apa(twenty)
    assert "Writer18, A., Writer19, A., . . . Writer21, A. (2011" in apa(twenty_one)
    assert "Writer20" not in apa(twenty_one)


def test_chicago_lists_six_authors_and_shortens_seven_to_three_et_al():
    six = cite(*[f"Ann Writer{n}" for n in range(1, 7)])
    seven = cite(*[f"Ann Writer{n}" for n in range(1, 8)])

    assert chicago(six).startswith("Writer1, Ann, Ann Writer2, Ann Writer3, Ann Writer4, ")
    assert ", Ann Writer5, and Ann Writer6. “Why mutuals?”" in chicago(six)
    assert chicago(seven).startswith("Writer1, Ann, Ann Writer2, Ann Writer3, et al. “Why")


def test_undated_citations_say_so_in_each_style():
    citation = cite("Richard Todd", published=None)

    assert "Todd, R. (n.d.). Why mutuals?" in apa(citation)
    assert "Policy Network. Accessed November 29, 2026. https://example.org/e/." in chicago(
        citation
    )
    assert "Todd, R. (no date) ‘Why mutuals?’" in harvard(citation)
    _, key, fields = parse_bibtex(bibtex(citation))
    assert key == "todd" + "nd" + "mutuals"
    assert not {"date", "year", "month"} & fields.keys()
    assert not {"PY", "DA"} & dict(parse_ris(ris(citation))).keys()


def test_essay_without_bylines_is_cited_by_title():
    citation = cite()

    assert apa(citation) == ("Why mutuals? (2011, June 28). Policy Network. https://example.org/e/")
    assert chicago(citation) == (
        "“Why mutuals?” Policy Network, June 28, 2011. https://example.org/e/."
    )
    assert harvard(citation) == (
        "‘Why mutuals?’ (2011) Policy Network. "
        "Available at: https://example.org/e/ (Accessed: 29 November 2026)."
    )
    assert "author" not in parse_bibtex(bibtex(citation))[2]
    assert "AU" not in dict(parse_ris(ris(citation)))


# Downloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "extension", "content_type"),
    [
        ("essays:cite_bib", "bib", "application/x-bibtex; charset=utf-8"),
        ("essays:cite_ris", "ris", "application/x-research-info-systems; charset=utf-8"),
    ],
)
def test_download_is_an_attachment_named_after_the_essay(
    client, todd_essay, name, extension, content_type
):
    url = reverse(name, kwargs={"slug": todd_essay.slug})
    assert url == f"/essays/{todd_essay.slug}/cite.{extension}"

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="{todd_essay.slug}.{extension}"'
    )


def test_bibtex_download_matches_the_formatter_with_todays_access_date(client, todd_essay):
    before = timezone.localdate()
    text = client.get(reverse("essays:cite_bib", kwargs={"slug": todd_essay.slug})).content

    _, key, fields = parse_bibtex(text.decode("utf-8"))
    assert key == "todd2011investing"
    assert fields["author"] == "Todd, Richard and Williams, Ben"
    assert fields["urldate"] in {before.isoformat(), timezone.localdate().isoformat()}


def test_downloads_name_the_publisher_from_site_settings(client, todd_essay):
    SiteSettings(name="Policy Network International").save()

    response = client.get(reverse("essays:cite_ris", kwargs={"slug": todd_essay.slug}))

    pairs = parse_ris(response.content.decode())
    assert ris_values(pairs, "PB") == ["Policy Network International"]


@pytest.mark.parametrize("name", ["essays:cite_bib", "essays:cite_ris"])
@pytest.mark.parametrize(
    "unpublished",
    [
        {"status": Status.DRAFT},
        {"published_at": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)},  # scheduled
    ],
    ids=["draft", "scheduled"],
)
def test_downloads_are_not_found_for_unpublished_essays(admin_client, db, name, unpublished):
    essay = EssayFactory(title="Not yet", **unpublished)

    assert admin_client.get(reverse(name, kwargs={"slug": essay.slug})).status_code == 404
    assert admin_client.get(reverse(name, kwargs={"slug": "no-such-essay"})).status_code == 404


# The essay page ---------------------------------------------------------------------------


def test_essay_page_shows_all_three_styles_and_both_downloads(client, todd_essay):
    page = client.get(todd_essay.get_absolute_url()).content.decode()

    (block,) = elements(page, "section", "cite")
    assert '<h2 id="cite-heading">Cite this essay</h2>' in block
    styles = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", block, re.S)
    citation = citation_of(todd_essay)
    assert [style for style, _ in styles] == ["APA 7", "Chicago", "Harvard"]
    assert styles[0][1] == apa_html(citation)
    assert text_of(styles[1][1]) == chicago(citation)
    assert text_of(styles[2][1]).startswith(harvard(citation).split(" (Accessed: ")[0])
    assert hrefs(block) == [
        f"/essays/{todd_essay.slug}/cite.bib",
        f"/essays/{todd_essay.slug}/cite.ris",
    ]
    assert "Download BibTeX (.bib)" in block
    assert "Download RIS (.ris)" in block


def test_essay_page_escapes_citations(client, db):
    essay = EssayFactory(title="<b>Bold</b> & co", slug="bold", authors=[AuthorFactory()])

    (block,) = elements(client.get("/essays/bold/").content.decode(), "section", "cite")

    assert "<i>&lt;b&gt;Bold&lt;/b&gt; &amp; co</i>" in block
    assert "“&lt;b&gt;Bold&lt;/b&gt; &amp; co.”" in block
    assert "<b>" not in block
    assert essay.title not in block


def test_staff_preview_of_a_draft_has_no_citation_block(client, staff_user):
    essay = EssayFactory(title="Draft", status=Status.DRAFT)
    client.force_login(staff_user)

    page = client.get(essay.get_absolute_url()).content.decode()

    assert "<h1>Draft</h1>" in page
    assert not elements(page, "section", "cite")
