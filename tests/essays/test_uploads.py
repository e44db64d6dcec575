"""Uploaded images: only real JPEG, PNG, WebP or GIF within the limits, stored without metadata.

Every image field (essay and series heroes, author portraits) goes through the same gate; a
refused upload gets an error next to its field and leaves nothing in storage.
"""

import os
import re
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from essays.models import Author, Essay
from series.models import Series
from tests.factories import AuthorFactory, EssayFactory, SeriesFactory
from tests.helpers import form_data, text_of

pytestmark = pytest.mark.django_db

MAKE, MODEL, ORIENTATION, GPS_INFO = 0x010F, 0x0110, 0x0112, 0x8825
ROTATE_90_CLOCKWISE = 6


# Files ---------------------------------------------------------------------------------------


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def image_bytes(image_format, size=(300, 200), mode="RGB", image=None, **options):
    buffer = BytesIO()
    (image or Image.new(mode, size, (30, 120, 200))).save(buffer, image_format, **options)
    return buffer.getvalue()


def exif_with_gps(orientation=None):
    exif = Image.Exif()
    exif[MAKE] = "Canon"
    exif[MODEL] = "EOS 5D"
    if orientation:
        exif[ORIENTATION] = orientation
    exif[GPS_INFO] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    return exif


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width, height):
    """Return a valid black 1-bit PNG of `width` x `height`: a few kilobytes on disk."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def decompression_bomb():
    content = png_bomb(20_000, 20_000)  # 400 megapixels, 50 MB once decoded
    assert len(content) < 100_000
    return upload("bomb.png", content, "image/png")


def bomb_over_the_limit_only():
    """Between the limit and twice it, where Pillow only warns."""
    return upload("big.png", png_bomb(7_000, 7_000), "image/png")


def html_renamed_png():
    return upload("photo.png", b"<!doctype html><script>alert(1)</script>", "image/png")


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def svg():
    return upload("logo.svg", SVG, "image/svg+xml")


def svg_renamed_png():
    return upload("logo.png", SVG, "image/png")


def oversized_image():
    """Return a real PNG of random noise, a little over 10 MB: it would decode fine."""
    noise = Image.frombytes("RGB", (2048, 2048), os.urandom(2048 * 2048 * 3))
    content = image_bytes("PNG", image=noise, compress_level=0)
    assert len(content) > 10 * 1024 * 1024
    return upload("noise.png", content, "image/png")


def truncated_jpeg():
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    content = image_bytes("JPEG", image=noise)
    return upload("cut.jpg", content[: len(content) * 2 // 3], "image/jpeg")


REFUSED = {
    "decompression bomb": (decompression_bomb, "more than 40 megapixels"),
    "over 40 megapixels": (bomb_over_the_limit_only, "more than 40 megapixels"),
    "HTML renamed .png": (html_renamed_png, "not a JPEG, PNG, WebP or GIF image"),
    "SVG": (svg, "SVG images are not accepted"),
    "SVG renamed .png": (svg_renamed_png, "SVG images are not accepted"),
    "over 10 MB": (oversized_image, "an image may be at most 10.0 MB"),
    "truncated JPEG": (truncated_jpeg, "damaged or incomplete"),
}
refused_uploads = pytest.mark.parametrize(
    ("make_upload", "message"), list(REFUSED.values()), ids=list(REFUSED)
)


def stored_files(settings):
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def open_stored(name):
    with default_storage.open(name) as stored:
        image = Image.open(BytesIO(stored.read()))
        image.load()
        return image


def assert_no_metadata(image):
    exif = image.getexif()
    assert not exif, dict(exif)
    assert not exif.get_ifd(GPS_INFO)
    assert not {"exif", "xmp", "comment", "Author"} & set(image.info), image.info


def assert_stored_cleanly(name, renditions, image_format):
    """Check the stored original and every rendition: right format, no metadata at all."""
    original = open_stored(name)
    assert original.format == image_format
    assert_no_metadata(original)
    assert renditions["sources"]
    for source in renditions["sources"]:
        rendition = open_stored(source["name"])
        assert rendition.format == "WEBP"
        assert_no_metadata(rendition)
    return original


# The admin forms --------------------------------------------------------------------------


def field_errors(response, field):
    """Return the text of the error list the admin shows with `field`."""
    match = re.search(
        rf'<ul class="errorlist"[^>]*id="id_{field}_error"[^>]*>(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no error shown with {field}"
    return text_of(match.group(1))


def post_new_essay(client, **fields):
    data = form_data(client.get("/admin/essays/essay/add/"), form_id="essay_form")
    author = AuthorFactory()
    data.update(
        {"bylines-0-author": str(author.pk), "bylines-0-position": "1"},
        title="With a picture",
        slug="with-a-picture",
        standfirst="Its standfirst.",
        body="<p>Its body.</p>",
        hero_alt="A picture",
        _save="Save",
        **fields,
    )
    return client.post("/admin/essays/essay/add/", data)


def post_new_author(client, **fields):
    data = form_data(client.get("/admin/essays/author/add/"), form_id="author_form")
    data.update(name="Ada Writer", slug="ada-writer", portrait_alt="Ada", _save="Save", **fields)
    return client.post("/admin/essays/author/add/", data)


def post_series_change(client, series, **fields):
    url = f"/admin/series/series/{series.pk}/change/"
    data = form_data(client.get(url), form_id="series_form")
    data.update(hero_alt="A picture", _save="Save", **fields)
    return client.post(url, data)


@refused_uploads
def test_admin_refuses_a_bad_essay_hero_image_next_to_the_field_and_stores_nothing(
    admin_client, settings, make_upload, message
):
    response = post_new_essay(admin_client, hero_image=make_upload())

    assert response.status_code == 200
    assert message in field_errors(response, "hero_image")
    assert not Essay.objects.exists()
    assert stored_files(settings) == []


@refused_uploads
def test_admin_refuses_a_bad_author_portrait_and_stores_nothing(
    admin_client, settings, make_upload, message
):
    response = post_new_author(admin_client, portrait=make_upload())

    assert response.status_code == 200
    assert message in field_errors(response, "portrait")
    assert not Author.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("make_upload", [decompression_bomb, svg_renamed_png, html_renamed_png])
def test_admin_refuses_a_bad_series_hero_image_and_keeps_the_series_as_it_was(
    admin_client, settings, make_upload
):
    series = SeriesFactory(title="Unchanged")

    response = post_series_change(admin_client, series, hero_image=make_upload(), title="Changed")

    assert response.status_code == 200
    assert field_errors(response, "hero_image")
    series.refresh_from_db()
    assert (series.title, series.hero_image.name) == ("Unchanged", "")
    assert stored_files(settings) == []


def test_an_editor_gets_the_same_refusal(client, editor, settings):
    client.force_login(editor)

    response = post_new_essay(client, hero_image=decompression_bomb())

    assert "more than 40 megapixels" in field_errors(response, "hero_image")
    assert stored_files(settings) == []


def test_the_upload_field_offers_only_the_accepted_types(admin_client):
    page = admin_client.get("/admin/essays/essay/add/").content.decode()

    (field,) = re.findall(r'<input[^>]*name="hero_image"[^>]*>', page)
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in field


def test_admin_stores_a_jpeg_with_gps_exif_upright_and_without_any_metadata(admin_client):
    content = image_bytes(
        "JPEG", size=(300, 200), exif=exif_with_gps(orientation=ROTATE_90_CLOCKWISE)
    )
    uploaded = Image.open(BytesIO(content))
    assert uploaded.getexif().get_ifd(GPS_INFO)  # the test file does carry a location
    assert uploaded.getexif()[MAKE] == "Canon"

    response = post_new_essay(admin_client, hero_image=upload("trip.jpg", content, "image/jpeg"))

    assert response.status_code == 302, response.context and response.context["errors"]
    essay = Essay.objects.get()
    stored = assert_stored_cleanly(essay.hero_image.name, essay.hero_renditions, "JPEG")
    assert stored.size == (200, 300)  # the orientation was applied before EXIF was dropped
    assert (essay.hero_width, essay.hero_height) == (200, 300)
    assert b"Canon" not in default_storage.open(essay.hero_image.name).read()


def gif_with_two_frames():
    frames = [Image.new("P", (120, 80), color) for color in (1, 2)]
    return image_bytes("GIF", image=frames[0], save_all=True, append_images=frames[1:])


def png_with_metadata():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "Someone private")
    return image_bytes("PNG", mode="RGBA", exif=exif_with_gps(), pnginfo=text)


ACCEPTED = {
    "JPEG": (lambda: image_bytes("JPEG", exif=exif_with_gps()), "image/jpeg", ".jpg"),
    "PNG": (png_with_metadata, "image/png", ".png"),
    "WebP": (lambda: image_bytes("WEBP", exif=exif_with_gps()), "image/webp", ".webp"),
    "GIF": (gif_with_two_frames, "image/gif", ".gif"),
}


@pytest.mark.parametrize(
    ("image_format", "make_content", "content_type", "extension"),
    [(image_format, *case) for image_format, case in ACCEPTED.items()],
    ids=list(ACCEPTED),
)
def test_admin_accepts_each_web_format_and_re_encodes_it_in_the_same_format(
    admin_client, image_format, make_content, content_type, extension
):
    response = post_new_author(
        admin_client, portrait=upload(f"portrait{extension}", make_content(), content_type)
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    author = Author.objects.get()
    assert author.portrait.name.endswith(extension)
    stored = assert_stored_cleanly(
        author.portrait.name, author.portrait_renditions, image_format.upper()
    )
    assert getattr(stored, "n_frames", 1) == 1  # an animation keeps its first frame only


def test_the_stored_name_follows_the_content_not_the_uploaded_name(admin_client):
    jpeg_named_png = upload("photo.png", image_bytes("JPEG"), "image/png")

    response = post_new_essay(admin_client, hero_image=jpeg_named_png)

    assert response.status_code == 302
    name = Essay.objects.get().hero_image.name
    assert name.endswith(".jpg")
    assert open_stored(name).format == "JPEG"


def test_bytes_hidden_after_the_image_data_are_not_stored(admin_client):
    polyglot = image_bytes("PNG") + b"<script>alert(1)</script>"

    response = post_new_essay(admin_client, hero_image=upload("p.png", polyglot, "image/png"))

    assert response.status_code == 302
    assert b"<script" not in default_storage.open(Essay.objects.get().hero_image.name).read()


def test_saving_other_changes_keeps_the_stored_image_without_checking_it_again(admin_client):
    essay = EssayFactory(hero_alt="A picture")
    essay.hero_image = upload("hero.jpg", image_bytes("JPEG"), "image/jpeg")
    essay.save()
    name = essay.hero_image.name
    url = f"/admin/essays/essay/{essay.pk}/change/"
    data = form_data(admin_client.get(url), form_id="essay_form")
    data.update(title="Retitled", _save="Save")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    essay.refresh_from_db()
    assert (essay.title, essay.hero_image.name) == ("Retitled", name)


# Model validation and saving ---------------------------------------------------------------


@refused_uploads
def test_full_clean_refuses_a_bad_hero_image_and_saving_it_anyway_stores_nothing(
    settings, make_upload, message
):
    essay = EssayFactory(hero_alt="A picture")
    essay.hero_image = make_upload()

    with pytest.raises(ValidationError) as raised:
        essay.full_clean()

    assert message in text_of(" ".join(raised.value.message_dict["hero_image"]))
    with pytest.raises(ValidationError), transaction.atomic():
        essay.save()
    assert stored_files(settings) == []
    assert Essay.objects.get(pk=essay.pk).hero_image.name == ""


@pytest.mark.parametrize("make_upload", [decompression_bomb, svg, oversized_image])
def test_full_clean_refuses_a_bad_portrait_or_series_hero(settings, make_upload):
    author = AuthorFactory.build(portrait=make_upload(), portrait_alt="A face")
    series = SeriesFactory.build(hero_image=make_upload(), hero_alt="A view")

    for item, field in ((author, "portrait"), (series, "hero_image")):
        with pytest.raises(ValidationError) as raised:
            item.full_clean()
        assert field in raised.value.message_dict
    assert stored_files(settings) == []
    assert not Author.objects.exists()
    assert not Series.objects.exists()


def test_the_pixel_limit_comes_from_settings(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 10_000
    essay = EssayFactory.build(
        hero_image=upload("hero.png", image_bytes("PNG", size=(101, 100)), "image/png"),
        hero_alt="A picture",
    )

    with pytest.raises(ValidationError) as raised:
        essay.full_clean()

    assert raised.value.message_dict["hero_image"] == [
        "This image has more than 0.01 megapixels, the most an upload may have. "
        "Scale it down and upload it again."
    ]


def test_a_portrait_saved_in_code_is_stored_without_its_gps_exif():
    author = AuthorFactory()
    content = image_bytes("JPEG", size=(900, 600), exif=exif_with_gps())
    author.portrait = upload("portrait.jpg", content, "image/jpeg")
    author.portrait_alt = "A face"

    author.full_clean()
    author.save()

    author = Author.objects.get(pk=author.pk)
    assert_stored_cleanly(author.portrait.name, author.portrait_renditions, "JPEG")
    assert (author.portrait_width, author.portrait_height) == (900, 600)
