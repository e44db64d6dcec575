import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.factories import EssayFactory, SeriesFactory, AuthorFactory

def build(n_series, n_essays, n_authors, n_topics):
    authors = [AuthorFactory() for _ in range(n_authors)]
    topics = ["Topic zero"] + [f"Topic {i}" for i in range(1, n_topics)]
    series = [SeriesFactory() for _ in range(n_series)]
    for s in series: s.topics.set(topics)
    essays = []
    for i in range(n_essays):
        essays.append(EssayFactory(authors=authors, topics=topics, series=series[i % n_series] if (series and i % 2) else None, series_position=i))
    return series, essays, authors

@pytest.mark.django_db
@pytest.mark.parametrize("size", [(1,2,1,1),(4,30,3,4)])
def test_q(client, size):
    series, essays, authors = build(*size)
    paths = ["/", "/ideas/", "/ideas/?topic=topic-zero", series[0].get_absolute_url(), essays[1].get_absolute_url(), authors[0].get_absolute_url(), "/topics/topic-zero/"]
    for p in paths:
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(p)
        assert r.status_code == 200, p
        print(size, p, len(ctx.captured_queries))
        if size[1] > 2 and p.startswith("/ideas/?"):
            for q in ctx.captured_queries: print("   ", q["sql"][:300])
