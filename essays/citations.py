"""Citations of an essay in APA 7, Chicago, Harvard, BibTeX and RIS, from one source of truth.

`Citation.for_essay()` gathers what every style needs (authors in byline order, title, dates,
publisher, series, URL); each formatter is a plain function of a `Citation`, so the styles
cannot disagree about an author's name or an essay's date. Text formats return plain strings
for templates to escape; `apa_html()` is the one variant with markup (the italic title).
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html

# Lowercase particles that belong to the family name: "Jan van der Berg" is filed under "van".
NAME_PARTICLES = frozenset(
    "van von de der den da di du le la del della des dos das ter ten op zu".split()
)
MONTHS = (
    "January February March April May June July August September October November December"
).split()
BIBTEX_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
APA_MAX_LISTED = 20  # APA 7: list up to 20 authors; beyond, the first 19, an ellipsis, the last
CHICAGO_MAX_LISTED = 6  # Chicago 18: more than six authors, list the first three and "et al."
KEY_STOPWORDS = frozenset("a an and the of on in for to with at by from is how why what".split())

_SPACE = re.compile(r"\s+")


class Name(NamedTuple):
    family: str
    given: str = ""


def parse_name(full_name: str) -> Name:
    """Return `full_name` as (family, given): the last word plus any lowercase particles.

    "Jan van der Berg" gives ("van der Berg", "Jan"); a one-word name is a family name only.
    """
    words = full_name.split()
    if not words:
        return Name("")
    start = len(words) - 1
    while start > 0 and words[start - 1] in NAME_PARTICLES:
        start -= 1
    return Name(" ".join(words[start:]), " ".join(words[:start]))


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


@dataclass(frozen=True)
class Citation:
    """Everything a citation of one essay says, whatever the style."""

    authors: tuple[Name, ...]
    title: str
    standfirst: str
    published: dt.date | None
    publisher: str
    series: str
    url: str
    accessed: dt.date

    @classmethod
    def for_essay(cls, essay, site_name: str, url: str, *, accessed: dt.date | None = None):
        """Return the citation of `essay`, reading its (ideally prefetched) bylines in order."""
        published = None
        if essay.published_at:
            zone = timezone.get_default_timezone()  # settings.TIME_ZONE, as the site shows dates
            published = timezone.localtime(essay.published_at, zone).date()
        series = essay.series if essay.series_id else None
        return cls(
            authors=tuple(parse_name(author.name) for author in essay.byline_authors),
            title=_one_line(essay.title),
            standfirst=_one_line(essay.standfirst),
            published=published,
            publisher=_one_line(site_name),
            series=_one_line(series.title) if series and series.is_published else "",
            url=url,
            accessed=accessed or timezone.localdate(timezone=timezone.get_default_timezone()),
        )


def essay_url(essay) -> str:
    """Return the essay's absolute URL on the public site."""
    return settings.SITE_URL + essay.get_absolute_url()


# Shared helpers ---------------------------------------------------------------------------


def _end_sentence(text: str) -> str:
    """Return `text` ending with a full stop, unless it already ends a sentence."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _initials(given: str, spaced: bool) -> str:
    """Return initials: "Richard" → "R.", "Jean-Paul" → "J.-P.", "Mary Ann" → "M. A." / "M.A."."""
    words = ["-".join(part[0] + "." for part in word.split("-") if part) for word in given.split()]
    return (" " if spaced else "").join(words)


def _inverted(name: Name, given: str) -> str:
    return f"{name.family}, {given}" if given else name.family


def _long_date(day: dt.date, day_first: bool) -> str:
    month = MONTHS[day.month - 1]
    return f"{day.day} {month} {day.year}" if day_first else f"{month} {day.day}, {day.year}"


# APA 7 -------------------------------------------------------------------------------------


def _apa_authors(authors: tuple[Name, ...]) -> str:
    names = [_inverted(name, _initials(name.given, spaced=True)) for name in authors]
    if len(names) == 1:
        return names[0]
    if len(names) > APA_MAX_LISTED:
        return ", ".join(names[: APA_MAX_LISTED - 1]) + ", . . . " + names[-1]
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _apa_parts(c: Citation) -> tuple[str, str, str]:
    """Return the APA reference as (before the title, the title, after the title)."""
    if c.published:
        date = f"({c.published.year}, {MONTHS[c.published.month - 1]} {c.published.day})."
    else:
        date = "(n.d.)."
    title_end = "" if c.title.endswith(("?", "!")) else "."
    source = f"{_end_sentence(c.series)} " if c.series else ""
    source += f"{_end_sentence(c.publisher)} {c.url}"
    if not c.authors:  # APA moves the title into the author position
        return "", c.title, f"{title_end} {date} {source}"
    return f"{_end_sentence(_apa_authors(c.authors))} {date} ", c.title, f"{title_end} {source}"


def apa(c: Citation) -> str:
    """Return the APA 7 reference for a web article, as plain text."""
    return "".join(_apa_parts(c))


def apa_html(c: Citation) -> str:
    """Return the APA 7 reference as escaped HTML with the title in italics."""
    before, title, after = _apa_parts(c)
    return format_html("{}<i>{}</i>{}", before, title, after)


# Chicago (notes and bibliography: the bibliography entry) ----------------------------------


def _chicago_authors(authors: tuple[Name, ...]) -> str:
    first, *others = authors
    names = [_inverted(first, first.given)] + [
        f"{name.given} {name.family}".strip() for name in others
    ]
    if len(names) > CHICAGO_MAX_LISTED:
        return ", ".join(names[:3]) + ", et al."
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + ", and " + names[-1]  # "Todd, Richard, and Ben Williams"


def chicago(c: Citation) -> str:
    """Return the Chicago bibliography entry for a web page."""
    title = f"“{c.title}”" if c.title.endswith(("?", "!")) else f"“{c.title}.”"
    parts = [_end_sentence(_chicago_authors(c.authors))] if c.authors else []
    parts.append(title)
    if c.series:
        parts.append(_end_sentence(c.series))
    if c.published:
        parts.append(f"{c.publisher}, {_long_date(c.published, day_first=False)}.")
    else:  # no publication date: Chicago gives the date of access instead
        parts += [_end_sentence(c.publisher), f"Accessed {_long_date(c.accessed, False)}."]
    parts.append(c.url + ".")
    return " ".join(parts)


# Harvard (Cite Them Right) ----------------------------------------------------------------


def _harvard_authors(authors: tuple[Name, ...]) -> str:
    names = [_inverted(name, _initials(name.given, spaced=False)) for name in authors]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def harvard(c: Citation) -> str:
    """Return the Harvard (Cite Them Right) reference for a web article."""
    year = f"({c.published.year})" if c.published else "(no date)"
    quoted = f"\u2018{c.title}\u2019"  # single curly quotes
    if not c.authors:  # the title takes the author's place
        head = f"{quoted} {year}" + (f" {_end_sentence(c.series)}" if c.series else "")
    elif c.series:
        head = f"{_harvard_authors(c.authors)} {year} {quoted}, {_end_sentence(c.series)}"
    else:
        head = f"{_harvard_authors(c.authors)} {year} {quoted}"
        head += "" if c.title.endswith(("?", "!")) else "."
    accessed = _long_date(c.accessed, day_first=True)
    return f"{head} {_end_sentence(c.publisher)} Available at: {c.url} (Accessed: {accessed})."


# BibTeX -----------------------------------------------------------------------------------

# Letters that are not a base letter plus an accent, and typographic punctuation, in LaTeX.
_LATEX_LETTERS = {
    "å": r"{\aa}",
    "Å": r"{\AA}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "ß": r"{\ss}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "\u0131": r"{\i}",  # dotless i
    "ȷ": r"{\j}",
    "đ": r"{\dj}",
    "Đ": r"{\DJ}",
    "ð": r"{\dh}",
    "Ð": r"{\DH}",
    "þ": r"{\th}",
    "Þ": r"{\TH}",
    "\u2018": "`",  # curly quotes
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2013": "--",  # en dash
    "\u2014": "---",  # em dash
    "…": r"\ldots{}",
    "\u00a0": "~",
}
# Characters LaTeX (or BibTeX's brace counting: it ignores backslashes) would misread.
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Combining marks and the LaTeX accent commands that put them on a letter.
_LATEX_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
    "\u0331": "b",
}
_ACCENTS_BELOW = {"\u0323", "\u0327", "\u0328", "\u0331"}
# Lowercase letters that do not decompose into ASCII, spelled out for citation keys.
_ASCII_LETTERS = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "ß": "ss", "ł": "l", "\u0131": "i", "ȷ": "j"}
    | {"đ": "d", "ð": "d", "þ": "th"}
)


def _latex_accented(char: str) -> str | None:
    """Return `char` as a base letter under LaTeX accents ("é" → "{\\'e}"), if it is one."""
    base, *marks = unicodedata.normalize("NFD", char)
    if not marks or not base.isascii() or not base.isalpha():
        return None
    if any(mark not in _LATEX_ACCENTS for mark in marks):
        return None
    if base in "ij" and any(mark not in _ACCENTS_BELOW for mark in marks):
        base = "\\" + base  # an accent above i or j replaces its dot: {\'\i}
    inner, simple = base, True
    for mark in marks:
        command = _LATEX_ACCENTS[mark]
        if command.isalpha():
            inner, simple = f"\\{command}{{{inner}}}", False
        elif simple:
            inner, simple = f"\\{command}{inner}", False
        else:
            inner = f"\\{command}{{{inner}}}"
    return "{" + inner + "}"


def latex_escape(text: str) -> str:
    """Return `text` safe inside a braced BibTeX field, accents as LaTeX commands.

    Classic BibTeX reads bytes, not Unicode, so accented letters become commands; characters
    with no LaTeX spelling (Greek, CJK) stay as UTF-8, which biber and modern LaTeX read.
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _LATEX_SPECIALS:
            out.append(_LATEX_SPECIALS[char])
        elif char.isascii():
            out.append(char)
        elif char in _LATEX_LETTERS:
            out.append(_LATEX_LETTERS[char])
        else:
            out.append(_latex_accented(char) or char)
    return "".join(out)


def _ascii_word(text: str) -> str:
    """Return `text` as lowercase ASCII letters and digits only, for a citation key."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_LETTERS))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode())


def bibtex_key(c: Citation) -> str:
    """Return a stable key: first author's family name, year, first significant title word."""
    author = _ascii_word(c.authors[0].family) if c.authors else ""
    words = [_ascii_word(word) for word in c.title.split()]
    significant = [word for word in words if word and word not in KEY_STOPWORDS]
    first_word = (significant or [word for word in words if word] or [""])[0]
    year = str(c.published.year) if c.published else "nd"
    return (author or _ascii_word(c.publisher) or "essay") + year + first_word


def _bibtex_name(name: Name) -> str:
    # A word "and" inside a name would split it into two authors; braces keep it whole.
    family, given = (
        f"{{{latex_escape(part)}}}" if " and " in f" {part} " else latex_escape(part)
        for part in name
    )
    return f"{family}, {given}" if given else family


def bibtex(c: Citation) -> str:
    """Return a biblatex `@online` entry that classic BibTeX reads too."""
    fields = []
    if c.authors:
        names = " and ".join(_bibtex_name(name) for name in c.authors)
        fields.append(("author", f"{{{names}}}"))
    fields.append(("title", f"{{{{{latex_escape(c.title)}}}}}"))  # inner braces keep capitals
    if c.series:
        fields.append(("series", f"{{{latex_escape(c.series)}}}"))
    if c.published:
        fields += [
            ("date", f"{{{c.published.isoformat()}}}"),
            ("year", f"{{{c.published.year}}}"),
            ("month", BIBTEX_MONTHS[c.published.month - 1]),  # a macro, as BibTeX styles expect
        ]
    # The url field is verbatim: only what would unbalance the entry is percent-encoded.
    url = re.sub(r"[{}\\%\s]", lambda match: f"%{ord(match[0]):02X}", c.url)
    fields += [
        ("organization", f"{{{latex_escape(c.publisher)}}}"),
        ("publisher", f"{{{latex_escape(c.publisher)}}}"),
        ("url", f"{{{url}}}"),
        ("urldate", f"{{{c.accessed.isoformat()}}}"),
    ]
    if c.standfirst:
        fields.append(("abstract", f"{{{latex_escape(c.standfirst)}}}"))
    lines = "".join(f"  {name} = {value},\n" for name, value in fields)
    return f"@online{{{bibtex_key(c)},\n{lines}}}\n"


# RIS --------------------------------------------------------------------------------------


def ris(c: Citation) -> str:
    """Return an RIS record (type ELEC) with CRLF line endings, one AU line per author."""
    tags = [("TY", "ELEC")]
    tags += [("AU", _inverted(name, name.given)) for name in c.authors]
    tags.append(("TI", c.title))
    if c.series:
        tags.append(("T2", c.series))
    tags.append(("PB", c.publisher))
    if c.published:
        tags += [("PY", str(c.published.year)), ("DA", c.published.strftime("%Y/%m/%d"))]
    tags += [("UR", c.url), ("Y2", c.accessed.strftime("%Y/%m/%d"))]
    if c.standfirst:
        tags.append(("AB", c.standfirst))
    tags.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in tags)


STYLES = (("APA 7", apa_html), ("Chicago", chicago), ("Harvard", harvard))


def formatted(c: Citation) -> list[tuple[str, str]]:
    """Return (style name, citation) pairs for the essay page, APA's title in italics."""
    return [(name, formatter(c)) for name, formatter in STYLES]
