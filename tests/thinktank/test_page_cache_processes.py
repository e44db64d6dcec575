"""The page cache across processes: gunicorn workers learn of a change made elsewhere.

A real production server (gunicorn) serves cached pages while this test process, standing
for the admin or a management command on the same machine, commits a change: the very
next request to the server shows it.
"""

import pytest

from tests.factories import EssayFactory
from tests.thinktank.test_production_settings import (
    collect_static,
    database_url,
    production_env,
    running_gunicorn,
)

# The server must see committed rows; restoring the migrations' rows keeps later tests whole.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HTTPS = {"X-Forwarded-Proto": "https"}


def test_a_change_committed_in_another_process_is_served_at_the_next_request(
    tmp_path_factory, tmp_path, settings
):
    static_root = collect_static(tmp_path_factory, database_url())
    clock_file = tmp_path / "page-cache.clock"
    settings.PAGE_CACHE_CLOCK_FILE = clock_file  # the machine's clock, shared with the server
    essay = EssayFactory(title="Before the edit")
    url = essay.get_absolute_url()
    env = production_env(
        database_url(), STATIC_ROOT=str(static_root), PAGE_CACHE_CLOCK_FILE=str(clock_file)
    )
    with running_gunicorn(env, tmp_path) as server:
        answers = [server.get(url, headers=HTTPS) for _ in range(3)]
        assert [status for status, _, _ in answers] == [200, 200, 200]
        assert [headers["X-Cache"] for _, headers, _ in answers] == ["miss", "hit", "hit"]
        assert b"Before the edit" in answers[-1][2]
        # Answered before Django (thinktank.wsgi), a hit carries what the rendered page did.
        (_, rendered, _), (_, hit, _) = answers[:2]
        for header in ("Strict-Transport-Security", "Content-Security-Policy", "ETag"):
            assert hit[header] == rendered[header], header
        assert hit["X-Request-ID"] != rendered["X-Request-ID"]

        essay.title = "After the edit"
        essay.save()

        status, headers, body = server.get(url, headers=HTTPS)
        assert status == 200
        assert b"After the edit" in body
        assert b"Before the edit" not in body
        assert headers["X-Cache"] == "miss"
        assert server.get(url, headers=HTTPS)[1]["X-Cache"] == "hit"
