"""Property-based fuzzing of every public form and parameter: no input gives a server error.

Each example runs in its own savepoint, rolled back afterwards, so examples stay independent
and a database error in one cannot poison the next. The test client re-raises a view's
exception, so a failure shows the falsifying input together with its traceback.
"""

from urllib.parse import quote, quote_from_bytes

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from newsletter import services, tokens
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays stable
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_text = st.text(st.characters(codec="utf-8"), max_size=300)
some_bytes = st.binary(max_size=300)
form_value = st.one_of(
    any_text,
    some_bytes,
    st.sampled_from(["", "on", "off", "true", "1", "0", "a@example.org", "/ideas/", "//evil"]),
    st.text(st.characters(codec="utf-8"), min_size=250, max_size=2000),  # beyond max_length
)
# None leaves the field out; a list sends it several times.
field = st.one_of(st.none(), form_value, st.lists(form_value, min_size=2, max_size=3))
email_field = st.one_of(field, st.emails(), st.emails().map(str.upper))


@pytest.fixture
def client(settings):
    settings.NEWSLETTER_SIGNUP_RATE_LIMIT = (10**9, 600)  # the fuzzer is one busy address
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield Client()
    cache.clear()


def isolated(send):
    """Run one request in a savepoint that is rolled back, with an empty cache."""
    cache.clear()
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def urlencoded(fields):
    """Encode {name: value | [values] | None} as a form body; values may be str or bytes."""
    pairs = []
    for name, value in fields.items():
        values = [] if value is None else value if isinstance(value, list) else [value]
        for item in values:
            raw = item if isinstance(item, bytes) else item.encode()
            pairs.append(f"{quote(name)}={quote_from_bytes(raw)}")
    return "&".join(pairs)


def as_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [as_text(item) for item in value]
    return value


def assert_no_server_error(response):
    assert response.status_code < 500, response.content[:500]


@pytest.fixture
def content(db):
    author = AuthorFactory(name="Robin Murray")
    series = SeriesFactory(title="Mutualism")
    EssayFactory(
        title="The new wave of mutuality",
        series=series,
        series_position=1,
        authors=[author],
        topics=["Co-operatives"],
    )
    EssayFactory(title="A standalone essay", topics=["Housing"])


# The newsletter sign-up form --------------------------------------------------------------


@FUZZ
@given(
    email=email_field,
    name=field,
    consent=field,
    website=field,
    source=field,
    multipart=st.booleans(),
)
def test_newsletter_signup_never_answers_a_server_error(
    client, email, name, consent, website, source, multipart
):
    fields = {
        "email": email,
        "name": name,
        "consent": consent,
        "website": website,
        "source": source,
    }
    if multipart:
        data = {key: as_text(value) for key, value in fields.items() if value is not None}
        response = isolated(lambda: client.post("/newsletter/", data))
    else:
        body = urlencoded(fields)
        response = isolated(
            lambda: client.post(
                "/newsletter/", body, content_type="application/x-www-form-urlencoded"
            )
        )

    assert_no_server_error(response)
    assert response.status_code in {302, 400}


def test_an_address_that_grows_when_lower_cased_gets_a_form_error_not_a_crash(client):
    """Found by the fuzzer. "İ".lower() is two characters: this valid 249-character address
    becomes 489 characters once normalised, more than the 254 the database column holds."""
    email = "a@" + ".".join(["İ" * 60] * 4) + ".com"

    response = isolated(
        lambda: client.post("/newsletter/", {"email": email, "consent": "on", "source": "/"})
    )

    assert_no_server_error(response)


# Search and listings ----------------------------------------------------------------------


@FUZZ
@given(
    query=st.one_of(
        any_text,
        st.text(st.sampled_from("\"-&|!():*<>'\\ or OR mutual")),
        st.text(min_size=300, max_size=3000),
    ),
    page=st.one_of(st.none(), any_text, st.integers().map(str)),
)
def test_search_never_answers_a_server_error(client, content, query, page):
    params = {"q": query} if page is None else {"q": query, "page": page}

    response = isolated(lambda: client.get("/search/", params))

    assert_no_server_error(response)
    assert response.status_code == 200


CURSORS = st.one_of(
    st.none(),
    any_text,
    st.integers().map(str),
    st.builds(
        "{}{}{}".format,
        st.integers(min_value=-(10**18), max_value=10**18),
        st.sampled_from("esx"),
        st.integers(min_value=-1, max_value=10**19),
    ),
)


@FUZZ
@given(
    page=st.one_of(st.none(), any_text, st.integers().map(str), st.just("1e309")),
    topic=st.one_of(st.none(), any_text, st.sampled_from(["co-operatives", "housing", ""])),
    before=CURSORS,
    after=CURSORS,
)
def test_ideas_listing_never_answers_a_server_error(client, content, page, topic, before, after):
    given_params = {"page": page, "topic": topic, "before": before, "after": after}
    params = {k: v for k, v in given_params.items() if v is not None}

    response = isolated(lambda: client.get("/ideas/", params))

    assert_no_server_error(response)
    # Old numbered pages redirect to the first; an `after` cursor at the top does too.
    assert response.status_code in {200, 301, 302, 404}


@FUZZ
@given(
    slug=any_text,
    query=st.one_of(st.none(), st.just("utm_source=newsletter"), any_text.map(quote)),
)
def test_essay_pages_never_answer_a_server_error(client, content, slug, query):
    path = f"/essays/{quote(slug, safe='')}/"
    if query is not None:
        path += f"?{query}"

    response = isolated(lambda: client.get(path))

    assert_no_server_error(response)


def test_an_unknown_url_with_a_nul_byte_and_a_query_string_is_a_404(client):
    """Found by the fuzzer: the redirect fallback looks the path up in the database, which
    refuses a string holding NUL; a shared link with ?utm_source=… is enough to reach it."""
    response = isolated(lambda: client.get("/essays/%00/?utm_source=newsletter"))

    assert_no_server_error(response)
    assert response.status_code == 404


# Newsletter links -------------------------------------------------------------------------


@pytest.fixture
def real_tokens(db):
    """A pending subscriber's genuine confirmation and unsubscribe tokens, to mutate."""
    outcome = services.subscribe(email="reader@example.org", name="Reader", source_url="/")
    subscriber = outcome.subscriber
    return {
        "confirm": tokens.make_confirmation_token(subscriber),
        "unsubscribe": tokens.make_unsubscribe_token(subscriber),
    }


def near(token):
    """Tokens near a genuine one: cut, with a character replaced, or with text appended."""
    return st.one_of(
        st.just(token),
        st.integers(0, len(token)).map(lambda i: token[:i]),
        st.tuples(st.integers(0, len(token) - 1), st.characters(codec="utf-8")).map(
            lambda edit: token[: edit[0]] + edit[1] + token[edit[0] + 1 :]
        ),
        any_text.map(lambda tail: token + tail),
        st.sampled_from([".", ":", "::"]).map(lambda sep: token.replace(":", sep, 1)),
    )


@pytest.mark.parametrize("link", ["confirm", "unsubscribe"])
@FUZZ
@given(data=st.data(), method=st.sampled_from(["get", "post"]))
def test_newsletter_links_never_answer_a_server_error(client, real_tokens, link, data, method):
    token = data.draw(st.one_of(any_text, near(real_tokens[link])), label="token")
    path = f"/newsletter/{link}/{quote(token, safe='')}/"

    response = isolated(lambda: getattr(client, method)(path))

    assert_no_server_error(response)


# The admin login, reachable by anyone -----------------------------------------------------


@FUZZ
@given(username=field, password=field, multipart=st.booleans())
def test_the_admin_login_never_answers_a_server_error(client, username, password, multipart):
    fields = {"username": username, "password": password}
    if multipart:
        data = {key: as_text(value) for key, value in fields.items() if value is not None}
        response = isolated(lambda: client.post("/admin/login/", data))
    else:
        body = urlencoded(fields)
        response = isolated(
            lambda: client.post(
                "/admin/login/", body, content_type="application/x-www-form-urlencoded"
            )
        )

    assert_no_server_error(response)


def test_an_overlong_admin_username_is_refused_cleanly(client):
    """Found by the fuzzer: django-axes records a failed login's username in a 255-character
    column; the admin login form does not limit the username's length before that."""
    response = isolated(
        lambda: client.post("/admin/login/", {"username": "x" * 256, "password": "wrong"})
    )

    assert_no_server_error(response)
    assert response.status_code == 200
