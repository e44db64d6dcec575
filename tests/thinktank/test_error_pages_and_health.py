"""The 404 page wears the site's design; /healthz answers with JSON."""

import pytest

from tests.helpers import hrefs, text_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/no-such-page/", "/essays/no-such-essay/", "/series/nope/", "/authors/nope/"]
)
def test_404_page_uses_the_site_design_and_links_home(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Policy Network" in text_of(page)
    assert "Page not found" in text_of(page)
    assert "/" in hrefs(page)
    assert 'class="site-header"' in page
    assert "/static/css/site.css" in page


def test_healthz_answers_ok_as_json(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_healthz_is_never_cached(client):
    cache_control = client.get("/healthz").headers.get("Cache-Control", "")

    assert "no-cache" in cache_control or "max-age=0" in cache_control
