"""Prefetches for listings that make plain objects from one `values_list()` query.

A card shows an essay's authors and topics as names and links. Prefetching them as model
instances (`Prefetch("bylines", ...)`, taggit's `"topics"`) builds a filtered queryset per
essay, an instance per row and a related instance per join: most of a listing's time.
`ValuesPrefetch` speaks the same protocol (`get_prefetch_querysets`) from one query of
plain rows, so it composes with slicing, `in_bulk()` and nested `Prefetch` like any other.
"""

from dataclasses import dataclass
from operator import attrgetter


class ValuesPrefetch:
    """A model attribute filled in by `prefetch_related(Prefetch(name, to_attr=...))`.

    `fetch(pks)` returns the rows for those primary keys as objects whose `owner`
    attribute is the primary key they belong to, in the order to show them.
    """

    def __init__(self, fetch):
        self.fetch = fetch

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        # prefetch_related() finds the prefetcher on the class. An instance has nothing
        # here (its rows are under the Prefetch's to_attr): None tells prefetch_related(),
        # which reads the attribute when the same lookup comes round again, to move on.
        return self if instance is None else None

    def get_prefetch_querysets(self, instances, querysets=None):
        if querysets:
            raise ValueError(f"Prefetch({self.name!r}) takes no queryset.")
        rows = self.fetch({instance.pk for instance in instances})
        # (rows, row's key, instance's key, single, cache name, is descriptor)
        return rows, attrgetter("owner"), attrgetter("pk"), False, self.name, False


@dataclass(frozen=True, slots=True)
class TopicLink:
    """A topic as a card shows it: a name linking to the topic's page."""

    owner: int
    name: str
    slug: str

    def __str__(self):
        return self.name


def topic_link_prefetch(tagged_model):
    """Return a `ValuesPrefetch` of the topics of a taggit through model's objects, by name."""

    def fetch(pks):
        rows = (
            tagged_model.objects.filter(content_object__in=pks)
            .order_by("tag__name", "tag__slug")
            .values_list("content_object_id", "tag__name", "tag__slug")
            .distinct()
        )
        return [TopicLink(*row) for row in rows]

    return ValuesPrefetch(fetch)
