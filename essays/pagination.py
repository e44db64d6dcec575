"""Keyset ("cursor") pagination for the newest-first listings.

A page is asked for by where it starts, not by its number: `?before=<position>` lists the
entries older than that position, `?after=<position>` those newer. Each query walks an
index on (published_at, pk) from the cursor and stops after one page, so the thousandth
page costs what the first does; OFFSET would read and discard every row before it.

A position is (published_at, kind, pk): listings that mix series and essays order ties on
the publication time by kind, then pk, so every entry has exactly one place. In URLs it is
`<microseconds since 1970><e|s><pk>`, for example `1732876200000000e42`.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q

PAGE_SIZE = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
KIND_LETTERS = {"essay": "e", "series": "s"}
KINDS = {letter: kind for kind, letter in KIND_LETTERS.items()}
TOKEN = re.compile(r"(-?\d{1,18})([es])(\d{1,18})")
NEWEST_FIRST = ("-published_at", "-pk")
OLDEST_FIRST = ("published_at", "pk")


class InvalidCursor(ValueError):
    """A `before` / `after` parameter that is no position (hand-edited, truncated)."""


@dataclass(frozen=True, order=True)
class Position:
    """Where an entry sits in a listing; positions compare as the listing orders them."""

    published_at: datetime
    kind: str
    pk: int

    @classmethod
    def of(cls, kind, entry):
        return cls(entry.published_at, kind, entry.pk)

    @classmethod
    def from_token(cls, token: str) -> "Position":
        match = TOKEN.fullmatch(token)
        if match is None:
            raise InvalidCursor(token)
        microseconds, letter, pk = match.groups()
        try:
            published_at = EPOCH + int(microseconds) * ONE_MICROSECOND
        except OverflowError as error:
            raise InvalidCursor(token) from error
        return cls(published_at, KINDS[letter], int(pk))

    @property
    def token(self) -> str:
        microseconds = (self.published_at - EPOCH) // ONE_MICROSECOND
        return f"{microseconds}{KIND_LETTERS[self.kind]}{self.pk}"

    def beyond(self, kind: str, *, older: bool) -> Q:
        """Return a filter for the entries of `kind` older (or newer) than this position.

        The redundant bound on published_at alone is the index condition: the database
        starts its walk at the cursor instead of at the newest entry.
        """
        at = "published_at__lte" if older else "published_at__gte"
        strictly = "published_at__lt" if older else "published_at__gt"
        pk = "pk__lt" if older else "pk__gt"
        if kind == self.kind:  # the same time: the pk decides
            return Q(**{at: self.published_at}) & (
                Q(**{strictly: self.published_at}) | Q(**{pk: self.pk})
            )
        kind_is_beyond = (kind < self.kind) if older else (kind > self.kind)
        # The same time: the kind decides, for every entry of that kind.
        return Q(**{at if kind_is_beyond else strictly: self.published_at})


@dataclass
class Window:
    """One page of a keyset listing: (kind, entry) pairs, newest first, and where the
    pages either side start (None when there is nothing there)."""

    entries: list
    newer: Position | None
    older: Position | None
    cursor: tuple[str, str] | None  # the parameter that asked for this page, if any

    @property
    def reached_the_newest(self) -> bool:
        """True when an `after` page found fewer newer entries than a page holds."""
        return self.cursor is not None and self.cursor[0] == "after" and self.newer is None


def cursor_from(params) -> tuple[str, Position] | None:
    """Return ("before" | "after", position) from query parameters, or None for page one.

    Raises InvalidCursor for a malformed or ambiguous request.
    """
    given = [(name, params[name]) for name in ("before", "after") if name in params]
    if not given:
        return None
    if len(given) > 1:
        raise InvalidCursor("before and after together")
    name, token = given[0]
    return name, Position.from_token(token)


def window(sources, cursor=None, size=PAGE_SIZE) -> Window:
    """Return one page of entries from `sources`, a dict of kind to queryset.

    Each queryset is filtered to the page's side of the cursor, ordered by
    (published_at, pk) and cut to one page plus one (to know whether more follow): one
    bounded query per kind. Their rows (model instances, or named rows with `pk` and
    `published_at`) are merged in Python.
    """
    direction, position = cursor or (None, None)
    newer_side = direction == "after"
    rows = []
    for kind, queryset in sources.items():
        if position is not None:
            queryset = queryset.filter(position.beyond(kind, older=not newer_side))
        ordered = queryset.order_by(*(OLDEST_FIRST if newer_side else NEWEST_FIRST))
        rows += [(Position.of(kind, entry), kind, entry) for entry in ordered[: size + 1]]
    rows.sort(key=lambda row: row[0], reverse=not newer_side)
    more = len(rows) > size
    rows = rows[:size]
    if newer_side:
        rows.reverse()
    first, last = (rows[0][0], rows[-1][0]) if rows else (None, None)
    if direction is None:
        newer, older = None, (last if more else None)
    elif newer_side:
        newer, older = (first if more else None), last
    else:
        newer, older = first, (last if more else None)
    return Window(
        entries=[(kind, entry) for _, kind, entry in rows],
        newer=newer,
        older=older,
        cursor=(direction, position.token) if position is not None else None,
    )
