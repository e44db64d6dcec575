"""Media on S3-compatible storage: uploads, renditions and pages, served from a CDN's host.

The storage is configured as MEDIA_STORAGE=s3 configures it (settings read in a subprocess)
and talks over HTTP to an S3-compatible server on loopback (moto's), since no real object
store runs here. Readers' URLs name the CDN host, https://cdn.example.org/media/.
"""

import re
import uuid

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from essays.models import Essay
from series.richtext import sanitize_html
from tests.factories import EssayFactory
from tests.helpers import image_upload
from tests.thinktank.test_production_settings import reserved_closed_port
from tests.thinktank.test_scale_out_settings import scale_env, settings_from

pytestmark = pytest.mark.django_db

CDN = "https://cdn.example.org"
MEDIA_URL = f"{CDN}/media/"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint, monkeypatch):
    """A fresh bucket, with STORAGES, MEDIA_URL and the CSP as MEDIA_STORAGE=s3 sets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    configured = settings_from(
        scale_env(
            MEDIA_STORAGE="s3",
            AWS_STORAGE_BUCKET_NAME=name,
            AWS_S3_CUSTOM_DOMAIN="cdn.example.org",
            AWS_S3_ENDPOINT_URL=s3_endpoint,
            AWS_S3_REGION_NAME="us-east-1",
        )
    )
    settings.STORAGES = {**settings.STORAGES, "default": configured["STORAGES"]["default"]}
    settings.MEDIA_URL = configured["MEDIA_URL"]
    settings.SECURE_CSP = configured["SECURE_CSP"]
    assert settings.MEDIA_URL == MEDIA_URL

    def keys():
        listing = client.list_objects_v2(Bucket=name)
        return {item["Key"] for item in listing.get("Contents", [])}

    client.keys = keys
    client.name = name
    return client


def test_an_uploaded_hero_image_and_its_renditions_are_stored_in_the_bucket(bucket):
    essay = EssayFactory()
    essay.hero_image = image_upload("hero.jpg", (2000, 1000))
    essay.hero_alt = "A red field"
    essay.save()

    essay = Essay.objects.get(pk=essay.pk)
    assert (essay.hero_width, essay.hero_height) == (2000, 1000)
    sources = essay.hero_renditions["sources"]
    assert [s["width"] for s in sources] == [480, 800, 1200, 1600]
    stored = bucket.keys()
    assert f"media/{essay.hero_image.name}" in stored
    assert {f"media/{s['name']}" for s in sources} <= stored
    head = bucket.head_object(Bucket=bucket.name, Key=f"media/{sources[0]['name']}")
    assert head["CacheControl"] == "public, max-age=31536000, immutable"


def test_the_essay_page_serves_images_from_the_cdn_and_its_csp_allows_them(bucket, client):
    essay = EssayFactory()
    essay.hero_image = image_upload("hero.jpg", (2000, 1000))
    essay.hero_alt = "A red field"
    essay.save()

    response = client.get(essay.get_absolute_url())

    page = response.content.decode()
    [srcset] = re.findall(r'srcset="([^"]+)"', page)
    urls = [candidate.split()[0] for candidate in srcset.split(",")]
    assert urls
    assert all(url.startswith(f"{MEDIA_URL}renditions/") for url in urls), urls
    assert all("Signature" not in url and "?" not in url for url in urls)
    img_src = re.search(r"img-src ([^;]+)", response["Content-Security-Policy"]).group(1)
    assert img_src.split() == ["'self'", "data:", CDN]
    # Sharing cards get the CDN URL as it is, not glued to SITE_URL.
    [og_image] = re.findall(r'<meta property="og:image" content="([^"]+)"', page)
    assert og_image.startswith(f"{MEDIA_URL}renditions/"), og_image


def test_with_the_bucket_unreachable_pages_are_still_served_with_their_image_urls(
    bucket, settings, client
):
    essay = EssayFactory()
    essay.hero_image = image_upload("hero.jpg", (2000, 1000))
    essay.hero_alt = "A red field"
    essay.save()
    with reserved_closed_port() as closed:
        storage = settings.STORAGES["default"]
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**storage, "OPTIONS": {**storage["OPTIONS"], "endpoint_url": endpoint}},
        }

        response = client.get(essay.get_absolute_url())

    assert response.status_code == 200
    assert f'srcset="{MEDIA_URL}renditions/' in response.content.decode()


def test_two_uploads_with_the_same_name_keep_both_files(bucket):
    first, second = EssayFactory(), EssayFactory()
    for essay, colour in [(first, "red"), (second, "blue")]:
        essay.hero_image = image_upload("photo.jpg", (600, 400))
        essay.hero_alt = f"A {colour} field"
        essay.save()

    assert first.hero_image.name != second.hero_image.name
    assert default_storage.exists(first.hero_image.name)
    assert default_storage.exists(second.hero_image.name)


def test_rich_text_keeps_images_from_the_cdn_media_url_and_drops_the_rest(settings):
    settings.MEDIA_URL = MEDIA_URL
    kept = f'<img loading="lazy" decoding="async" src="{MEDIA_URL}uploads/chart.png" alt="A chart">'
    dropped = [
        '<img src="/media/uploads/chart.png" alt="x">',  # the old local media, gone now
        '<img src="https://evil.example/media/uploads/chart.png" alt="x">',
        f'<img src="{CDN}/other/chart.png" alt="x">',  # the CDN host, outside media
        f'<img src="{CDN}.evil.example/media/chart.png" alt="x">',
        f'<img src="{MEDIA_URL}../static/x.png" alt="x">',
        '<img src="//cdn.example.org/media/uploads/chart.png" alt="x">',
    ]

    assert sanitize_html(kept) == kept
    for html in dropped:
        assert "src=" not in sanitize_html(html), html
