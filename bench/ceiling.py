"""The framework's ceiling: a bare Django view returning a fixed ~20 KB HTML page.

Served by gunicorn with the same settings as the site (`gunicorn bench.ceiling`), so the
benchmark can say how close each real page comes to what Django itself does here.

Floors sit beside it: bare views that each do only part of what a real page must do, so
the benchmark also says what that part alone leaves of the ceiling on this machine:
- `/floor/query`: the fixed page after one trivial query (`SELECT 1`) on the site's
  database, over a persistent connection: one round trip to PostgreSQL.
- `/floor/cards`: a listing of 20 essay cards (title, two authors, standfirst, three
  topics, date) rendered by Django's template engine from dictionaries in memory: no
  database, no ORM, one template with no includes or custom tags.
- `/floor/query-cards`: both, the least work any listing page does.
- `/floor/query-cards-jinja2`: both, with the cards rendered by Jinja2 instead: what a
  switch of template engine would leave.
"""

import os
from datetime import date

import dj_database_url
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.urls import path

PARAGRAPH = (
    "<p>Co-operative societies can help overcome the environmental, social and economic "
    "problems that neither the private market nor the state have been able to answer.</p>\n"
)
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Ceiling</title></head>"
    "<body><main>" + PARAGRAPH * 120 + "</main></body></html>"
).encode()

CARDS_TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><main><h1>{{ title }}</h1>
{% for card in cards %}<article class="card card--essay">
<p class="card__meta">
  <time datetime="{{ card.date|date:'Y-m-d' }}">{{ card.date|date:'j F Y' }}</time>
</p>
<h2 class="card__title"><a href="{{ card.url }}">{{ card.title }}</a></h2>
<p class="card__standfirst">{{ card.standfirst }}</p>
<p class="byline">By {% for author in card.authors %}
  <a href="{{ author.url }}">{{ author.name }}</a>{% if not forloop.last %} &amp; {% endif %}
{% endfor %}</p>
<ul class="topics">{% for topic in card.topics %}
  <li><a href="{{ topic.url }}">{{ topic.name }}</a></li>
{% endfor %}</ul>
</article>
{% endfor %}</main></body></html>"""
# The same markup in Jinja2's dialect.
CARDS_JINJA2 = (
    CARDS_TEMPLATE.replace("forloop.last", "loop.last")
    .replace("card.date|date:'Y-m-d'", "card.date.isoformat()")
    .replace("card.date|date:'j F Y'", "card.date.strftime('%-d %B %Y')")
)
CARDS = [
    {
        "url": f"/essays/essay-{i}/",
        "title": f"Essay {i}: mutual ownership and the co-operative state",
        "standfirst": PARAGRAPH[3:-5],
        "date": date(2026, 1 + i % 12, 1 + i % 28),
        "authors": [{"url": f"/authors/author-{i}-{j}/", "name": f"Author {j}"} for j in (1, 2)],
        "topics": [{"url": f"/topics/topic-{j}/", "name": f"Topic {j}"} for j in (1, 2, 3)],
    }
    for i in range(20)
]


def page(request):
    return HttpResponse(PAGE)


def query_once():
    """Make one round trip to the database: the least any page backed by it does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def query_floor(request):
    query_once()
    return HttpResponse(PAGE)


def cards_floor(request, query=False, jinja2=False):
    if query:
        query_once()
    template = cards_jinja2 if jinja2 else cards_template
    return HttpResponse(template.render({"title": "Ideas & Debate", "cards": CARDS}))


urlpatterns = [
    path("", page),
    path("floor/query", query_floor),
    path("floor/cards", cards_floor),
    path("floor/query-cards", cards_floor, {"query": True}),
    path("floor/query-cards-jinja2", cards_floor, {"query": True, "jinja2": True}),
]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-ceiling-only"),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        DATABASES={
            "default": dj_database_url.config(
                default="postgres://postgres@127.0.0.1:5432/thinktank_bench", conn_max_age=60
            )
        },
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    )

application = get_wsgi_application()
cards_template = engines["django"].from_string(CARDS_TEMPLATE)
cards_jinja2 = Jinja2({"NAME": "jinja2", "DIRS": [], "APP_DIRS": False, "OPTIONS": {}}).from_string(
    CARDS_JINJA2
)
