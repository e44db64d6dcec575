"""Responsive renditions of uploaded images, made once when an image is saved.

Readers get WebP files at a few widths through `srcset`; no request ever resizes an image.
"""

from io import BytesIO
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

RENDITION_WIDTHS = (480, 800, 1200, 1600)
WEBP_QUALITY = 80


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
