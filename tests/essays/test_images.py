"""Uploaded hero images and portraits get WebP renditions and render as responsive <img>s."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from essays.models import Author, Essay
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import image_upload

pytestmark = pytest.mark.django_db

ORIGINAL_WIDTH, ORIGINAL_HEIGHT = 2000, 1000


def assert_webp_renditions_stored(renditions, original_width=ORIGINAL_WIDTH):
    sources = renditions["sources"]
    assert sources, renditions
    widths = [source["width"] for source in sources]
    assert widths == sorted(widths)
    assert len(set(widths)) == len(widths)
    assert all(width <= original_width for width in widths)
    for source in sources:
        assert default_storage.exists(source["name"]), source["name"]
        with default_storage.open(source["name"]) as stored, Image.open(stored) as image:
            assert image.format == "WEBP"
            assert image.size == (source["width"], source["height"])
    return widths


def img_tags(page):
    return re.findall(r"<img\b[^>]*>", page)


@pytest.mark.parametrize(("name", "image_format"), [("hero.jpg", "JPEG"), ("hero.png", "PNG")])
def test_uploading_an_essay_hero_image_makes_webp_renditions_no_wider_than_the_original(
    name, image_format
):
    essay = EssayFactory()
    essay.hero_image = image_upload(name, (ORIGINAL_WIDTH, ORIGINAL_HEIGHT), image_format)
    essay.hero_alt = "A red field"
    essay.save()

    essay = Essay.objects.get(pk=essay.pk)
    assert (essay.hero_width, essay.hero_height) == (ORIGINAL_WIDTH, ORIGINAL_HEIGHT)
    assert_webp_renditions_stored(essay.hero_renditions)


def test_small_image_is_never_enlarged():
    essay = EssayFactory()
    essay.hero_image = image_upload("small.jpg", (300, 200))
    essay.hero_alt = "A small field"
    essay.save()

    widths = assert_webp_renditions_stored(
        Essay.objects.get(pk=essay.pk).hero_renditions, original_width=300
    )
    assert widths == [300]


def test_essay_page_shows_hero_as_responsive_img_with_srcset_size_and_alt(client):
    essay = EssayFactory()
    essay.hero_image = image_upload("hero.jpg", (ORIGINAL_WIDTH, ORIGINAL_HEIGHT))
    essay.hero_alt = "Members voting at a co-operative AGM"
    essay.save()
    widths = assert_webp_renditions_stored(Essay.objects.get(pk=essay.pk).hero_renditions)

    page = client.get(essay.get_absolute_url()).content.decode()

    (hero,) = [tag for tag in img_tags(page) if "srcset=" in tag]
    srcset = re.search(r'srcset="([^"]+)"', hero).group(1)
    candidates = [candidate.strip().split(" ") for candidate in srcset.split(",")]
    assert [int(descriptor.removesuffix("w")) for _, descriptor in candidates] == widths
    assert all(url.endswith(".webp") for url, _ in candidates)
    width = int(re.search(r'\bwidth="(\d+)"', hero).group(1))
    height = int(re.search(r'\bheight="(\d+)"', hero).group(1))
    assert width in widths
    assert width * ORIGINAL_HEIGHT == height * ORIGINAL_WIDTH
    assert 'alt="Members voting at a co-operative AGM"' in hero


def test_series_page_shows_hero_as_responsive_img(client):
    series = SeriesFactory()
    series.hero_image = image_upload("series.jpg", (1600, 900))
    series.hero_alt = "A crowd"
    series.save()

    page = client.get(series.get_absolute_url()).content.decode()

    (hero,) = [tag for tag in img_tags(page) if "srcset=" in tag]
    assert 'alt="A crowd"' in hero
    assert "1600w" in hero


def test_uploading_an_author_portrait_makes_renditions_shown_on_the_author_page(client):
    author = AuthorFactory()
    author.portrait = image_upload("portrait.png", (900, 1200), "PNG")
    author.portrait_alt = "Portrait of the author"
    author.save()

    author = Author.objects.get(pk=author.pk)
    widths = assert_webp_renditions_stored(author.portrait_renditions, original_width=900)
    page = client.get(author.get_absolute_url()).content.decode()
    (portrait,) = [tag for tag in img_tags(page) if "srcset=" in tag]
    assert 'alt="Portrait of the author"' in portrait
    assert all(f"{width}w" in portrait for width in widths)
    assert re.search(r'\bwidth="\d+"', portrait)
    assert re.search(r'\bheight="\d+"', portrait)


def test_saving_again_without_a_new_image_keeps_the_same_renditions():
    essay = EssayFactory()
    essay.hero_image = image_upload("hero.jpg", (1000, 500))
    essay.hero_alt = "A red field"
    essay.save()
    before = Essay.objects.get(pk=essay.pk).hero_renditions

    essay = Essay.objects.get(pk=essay.pk)
    essay.title = "Retitled"
    essay.save()

    assert Essay.objects.get(pk=essay.pk).hero_renditions == before


@pytest.mark.parametrize("factory", [EssayFactory, SeriesFactory])
def test_full_clean_refuses_a_hero_image_without_alt_text(factory):
    item = factory.build(hero_image=image_upload("hero.jpg", (400, 200)), hero_alt="  ")

    with pytest.raises(ValidationError) as raised:
        item.full_clean()

    assert "hero_alt" in raised.value.message_dict


def test_full_clean_refuses_a_portrait_without_alt_text():
    author = AuthorFactory.build(portrait=image_upload("portrait.jpg", (300, 300)))

    with pytest.raises(ValidationError) as raised:
        author.full_clean()

    assert "portrait_alt" in raised.value.message_dict


def test_full_clean_accepts_an_image_with_alt_text():
    essay = EssayFactory.build(
        hero_image=image_upload("hero.jpg", (400, 200)), hero_alt="A chart of wages"
    )

    essay.full_clean()
