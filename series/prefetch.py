"""Prefetches for listings that make plain objects from one `values_list()` query.

A card shows an essay's authors and topics as names and links. Prefetching them as model
instances (`Prefetch("bylines", ...)`, taggit's `"topics"`) builds a filtered queryset per
essay, an instance per row and a related instance per join: most of a listing's time.
`ValuesPrefetch` speaks the same protocol (`get_prefetch_querysets`) from one query of
plain rows, so it composes with slicing, `in_bulk()` and nested `Prefetch` like any other.

Its query is the same on every page but for the owners' keys, and compiling it through the
ORM costs several times what running it does. On PostgreSQL the keys are one array
parameter (`owner = ANY(%s)`), so the SQL is compiled once per process and then run as is;
`CompiledRows` does the same for a query that takes no keys.
"""

from dataclasses import dataclass
from operator import attrgetter

from django.db import connections
from django.db.models import F, Lookup


class AnyOf(Lookup):
    """`lhs = ANY(%s)` (PostgreSQL), with a list of values as the one parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


class CompiledRows:
    """A `values_list()` query whose SQL is the same on every request (`Now()` is SQL, not
    a parameter): compiled once per process, then run as is.

    `rows()` returns the queryset. Where the SQL cannot be reused (the rows need Django's
    conversion from the database's values), the queryset is run each time.
    """

    def __init__(self, rows):
        self.rows = rows  # a function: models are not all loaded when this is built
        self._statement = None  # (database, SQL, parameters, compiled extras), or False

    def fetch(self):
        """Return the rows."""
        rows = self._run(lambda params: params)
        return list(self.rows()) if rows is None else rows

    def _run(self, with_params):
        """Return the rows of the compiled SQL, its parameters passed through `with_params`,
        or None where the SQL cannot be reused."""
        if self._statement is None:
            self._statement = self._compile() or False
        if not self._statement:
            return None
        alias, sql, params = self._statement[:3]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, with_params([*params]))
            return cursor.fetchall()

    def _compile(self, queryset=None):
        queryset = self.rows() if queryset is None else queryset
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        # Rows go straight from the database cursor: only for columns Django converts not.
        if compiler.get_converters([s[0] for s in compiler.select]):
            return None
        return queryset.db, sql, params


class KeyedRows(CompiledRows):
    """A `values_list()` query run for the rows of a set of owners, given their keys.

    `rows()` returns the queryset over every owner, in the order to show the rows; `owner`
    is the relation (from its model) to the owners' keys.
    """

    def __init__(self, rows, *, owner):
        super().__init__(rows)
        self.owner = owner

    def fetch(self, keys):
        """Return the rows of the owners with these keys."""
        keys = list(keys)

        def with_keys(params):
            params[self._statement[3]] = keys
            return params

        rows = self._run(with_keys)
        return list(self.rows().filter(**{f"{self.owner}__in": keys})) if rows is None else rows

    def _compile(self):
        """Return the query's SQL for any set of keys, or None where it cannot be reused."""
        queryset = self.rows()
        if connections[queryset.db].vendor != "postgresql":
            return None
        statement = super()._compile(queryset.filter(AnyOf(F(self.owner), [])))
        if statement is None:
            return None
        lists = [at for at, param in enumerate(statement[2]) if isinstance(param, list)]
        return (*statement, lists[0]) if len(lists) == 1 else None


class ValuesPrefetch:
    """A model attribute filled in by `prefetch_related(Prefetch(name, to_attr=...))`.

    Its rows are a `KeyedRows(rows, owner=owner)` query whose first value is the owner's
    key; `make` turns a row into the object stored (its first attribute, `owner`, is that
    key).
    """

    def __init__(self, rows, *, owner, make):
        self.query = KeyedRows(rows, owner=owner)
        self.make = make

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
        rows = self.query.fetch({instance.pk for instance in instances})
        objects = [self.make(*row) for row in rows]
        # (rows, row's key, instance's key, single, cache name, is descriptor)
        return objects, attrgetter("owner"), attrgetter("pk"), False, self.name, False


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
    return ValuesPrefetch(
        lambda: (
            tagged_model.objects.order_by("tag__name", "tag__slug")
            .values_list("content_object_id", "tag__name", "tag__slug")
            .distinct()
        ),
        owner="content_object",
        make=TopicLink,
    )
