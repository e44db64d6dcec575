"""Uploaded images: checked and cleaned on the way in, then served as responsive renditions.

Every image field is a `WebImageField`. An upload is accepted only when Pillow decodes it as
JPEG, PNG, WebP or GIF within the size and pixel limits; it is then stored re-encoded, with
its orientation applied and every other piece of metadata (EXIF, GPS, comments) left behind.
Readers get WebP files at a few widths through `srcset`; no request ever resizes an image.
"""

import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

RENDITION_WIDTHS = (480, 800, 1200, 1600)
WEBP_QUALITY = 80
ORIGINAL_QUALITY = 90  # re-encoded uploads (JPEG, WebP): visually lossless

# Pillow format as decoded -> (format to save in, file extension, content type). MPO is how
# Pillow reads the multi-picture JPEGs that many phones and cameras write.
WEB_FORMATS = {
    "JPEG": ("JPEG", ".jpg", "image/jpeg"),
    "MPO": ("JPEG", ".jpg", "image/jpeg"),
    "PNG": ("PNG", ".png", "image/png"),
    "WEBP": ("WEBP", ".webp", "image/webp"),
    "GIF": ("GIF", ".gif", "image/gif"),
}
# Only these decoders ever see an upload (MPO files are found by the JPEG one).
DECODERS = ["JPEG", "PNG", "WEBP", "GIF"]
ACCEPT = ",".join(dict.fromkeys(content_type for _, _, content_type in WEB_FORMATS.values()))
# Image.info entries a re-encoded image keeps: needed to draw it, and identify no one.
KEPT_INFO = ("transparency",)

# Pillow refuses outright to open anything over twice this (DecompressionBombError) and warns
# above it; `clean_upload` turns the warning into a refusal too.
Image.MAX_IMAGE_PIXELS = settings.IMAGE_UPLOAD_MAX_PIXELS

MESSAGES = {
    "file_too_large": "This file is %(size)s; an image may be at most %(limit)s.",
    "too_many_pixels": (
        "This image has more than %(limit)s megapixels, the most an upload may have. "
        "Scale it down and upload it again."
    ),
    "svg_not_allowed": "SVG images are not accepted. Upload a JPEG, PNG, WebP or GIF image.",
    "not_an_image": (
        "This file is not a JPEG, PNG, WebP or GIF image, whatever its name says. "
        "Upload an image in one of those formats."
    ),
    "damaged_image": (
        "This image could not be read: it is damaged or incomplete. "
        "Export it again and upload the new file."
    ),
}


@dataclass(frozen=True)
class CleanImage:
    """An accepted upload, re-encoded: what gets stored in place of the original bytes."""

    content: bytes
    extension: str
    content_type: str

    def filename(self, original_name: str) -> str:
        """Return `original_name` with the extension that matches the stored content."""
        stem = PurePosixPath(original_name or "").stem.lstrip(".") or "image"
        return stem + self.extension


def refusal(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params or None)


def clean_upload(file) -> CleanImage:
    """Return the upload `file` re-encoded without metadata, or raise why it is refused.

    This is the one gate every uploaded image passes: the form field, model validation and
    the model field's `pre_save` all call it. The outcome is remembered on the upload, so an
    image is decoded once however many of them ask.
    """
    upload = file.file if isinstance(file, FieldFile) else file
    outcome = getattr(upload, "_clean_image_outcome", None)
    if outcome is None:
        try:
            outcome = _reencode(upload)
        except ValidationError as refused:
            outcome = refused
        upload._clean_image_outcome = outcome
    if isinstance(outcome, ValidationError):
        raise outcome
    return outcome


def validate_image_upload(value) -> None:
    """Refuse an uploaded image that `clean_upload` would not accept.

    Files already in storage passed this check when they were uploaded (or predate it); an
    editor saving other changes is never blocked by them.
    """
    if getattr(value, "_committed", False):
        return
    clean_upload(value)


def _reencode(upload) -> CleanImage:
    if upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise refusal(
            "file_too_large",
            size=filesizeformat(upload.size),
            limit=filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES),
        )
    max_pixels = settings.IMAGE_UPLOAD_MAX_PIXELS
    too_many_pixels = refusal("too_many_pixels", limit=f"{max_pixels / 1_000_000:g}")
    upload.seek(0)
    try:
        # catch_warnings is process-wide, not per-thread: the explicit pixel count below
        # refuses a bomb even if another thread's block has just reset the filter.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=DECODERS) as image:
                if image.format not in WEB_FORMATS:
                    raise refusal("not_an_image")
                if image.width * image.height > max_pixels:
                    raise too_many_pixels
                image.load()  # decode it all: a truncated or corrupt file fails here
                return _encode(image, *WEB_FORMATS[image.format])
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except UnidentifiedImageError:
        upload.seek(0)
        svg = _looks_like_svg(upload.read(4096))
        raise refusal("svg_not_allowed" if svg else "not_an_image") from None
    except Exception as error:  # Pillow raises many kinds for damaged data
        raise refusal("damaged_image") from error
    finally:
        upload.seek(0)


def _looks_like_svg(head: bytes) -> bool:
    return b"<svg" in head.lower()


def _encode(image, image_format: str, extension: str, content_type: str) -> CleanImage:
    """Return `image` (its first frame, for animations) saved afresh in `image_format`.

    Nothing from the original file is copied but the pixels, the transparency and the colour
    profile: EXIF (GPS, camera, owner), XMP, comments and trailing bytes are left behind.
    """
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)  # a new image: the original's EXIF stays behind
    upright.info = {key: upright.info[key] for key in KEPT_INFO if key in upright.info}
    options = {"icc_profile": icc_profile}
    if image_format == "JPEG":
        if upright.mode not in {"RGB", "L"}:
            upright = upright.convert("RGB")
        options.update(quality=ORIGINAL_QUALITY, optimize=True)
    elif image_format == "WEBP":
        if upright.mode not in {"RGB", "RGBA"}:
            has_alpha = "A" in upright.mode or "transparency" in upright.info
            upright = upright.convert("RGBA" if has_alpha else "RGB")
        options.update(quality=ORIGINAL_QUALITY, method=4)
    buffer = BytesIO()
    upright.save(buffer, image_format, **options)
    return CleanImage(buffer.getvalue(), extension, content_type)


class WebImageFormField(forms.ImageField):
    """A form field for `WebImageField`: refuses what `clean_upload` refuses, saying why."""

    # The stored name gets the extension of the stored format, so the uploaded one is moot.
    default_validators = []

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        upload.content_type = clean_upload(upload).content_type
        return upload

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.FileInput) and "accept" not in widget.attrs:
            attrs["accept"] = ACCEPT
        return attrs


class WebImageField(models.ImageField):
    """An ImageField that accepts JPEG, PNG, WebP and GIF and stores them re-encoded.

    Validation (form or `full_clean`) refuses anything else before a byte is stored; saving
    an unchecked upload runs the same check, so it cannot store a refused file either.
    """

    default_validators = [validate_image_upload]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebImageFormField, **kwargs})

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            clean = clean_upload(file)
            file.name = clean.filename(file.name)
            file.file = ContentFile(clean.content, name=file.name)
        return super().pre_save(model_instance, add)

    def update_dimension_fields(self, instance, force=False, *args, **kwargs):
        if not force and not self._needs_measuring(instance):
            # Every row read from the database comes through here (post_init): skip the
            # warnings machinery below when Django would not open the file anyway.
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                super().update_dimension_fields(instance, force, *args, **kwargs)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Measuring an oversized upload is refused; validation reports it, saving refuses it.
            for dimension_field in (self.width_field, self.height_field):
                if dimension_field:
                    setattr(instance, dimension_field, None)

    def _needs_measuring(self, instance):
        """Return whether an image is set (not deferred) and a dimension is still missing:
        the only case in which Django's `update_dimension_fields` reads the file."""
        if not instance.__dict__.get(self.attname):
            return False
        return any(
            dimension_field and not getattr(instance, dimension_field)
            for dimension_field in (self.width_field, self.height_field)
        )


def build_renditions(field_file, widths=RENDITION_WIDTHS) -> dict:
    """Write WebP renditions of `field_file` and return their description for a JSONField."""
    if not field_file:
        return {}
    field_file.open("rb")
    try:
        with Image.open(field_file) as original:
            image = ImageOps.exif_transpose(original)
            image = image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB")
    finally:
        field_file.close()

    stem = PurePosixPath(field_file.name)
    folder = f"renditions/{stem.parent}"
    usable = [w for w in widths if w < image.width] + [min(image.width, max(widths))]
    sources = []
    for width in sorted(set(usable)):
        height = round(image.height * width / image.width)
        resized = image.resize((width, height), Image.Resampling.LANCZOS)
        buffer = BytesIO()
        resized.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
        name = default_storage.save(
            f"{folder}/{stem.stem}-{width}w.webp", ContentFile(buffer.getvalue())
        )
        sources.append({"name": name, "width": width, "height": height})
    return {"source": field_file.name, "sources": sources}


def refresh_renditions(field_file, renditions: dict) -> dict:
    """Return `renditions`, rebuilt if the image changed since they were made."""
    if not field_file:
        return {}
    if renditions.get("source") == field_file.name:
        return renditions
    return build_renditions(field_file)


def save_renditions(instance, image_field: str, renditions_field: str) -> None:
    """Bring `instance`'s renditions up to date with its image; call after it is saved.

    The uploaded file is only in storage, under its final name, once the model is saved.
    """
    current = getattr(instance, renditions_field)
    renditions = refresh_renditions(getattr(instance, image_field), current)
    if renditions != current:
        setattr(instance, renditions_field, renditions)
        type(instance)._default_manager.filter(pk=instance.pk).update(
            **{renditions_field: renditions}
        )


def srcset(renditions: dict) -> str:
    """Return the `srcset` attribute value for stored renditions."""
    return ", ".join(
        f"{default_storage.url(s['name'])} {s['width']}w" for s in renditions.get("sources", ())
    )


def default_source(renditions: dict, preferred_width=800) -> dict | None:
    """Return the rendition to use as `src`: the smallest at least `preferred_width` wide."""
    sources = renditions.get("sources") or []
    if not sources:
        return None
    wide_enough = [s for s in sources if s["width"] >= preferred_width]
    chosen = wide_enough[0] if wide_enough else sources[-1]
    return {**chosen, "url": default_storage.url(chosen["name"])}
