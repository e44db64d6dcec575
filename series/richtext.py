"""Rich text written in the admin's editor, sanitised with nh3 when saved and when shown.

Both apps use it (essays depends on series, never the reverse), so it lives here.
"""

import functools
import re
from urllib.parse import unquote

import nh3
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django_prose_editor.fields import ProseEditorField

# What the editor offers; django-prose-editor derives the editor's toolbar from this list.
EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False},
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    "Figure": True,
    "Caption": True,
    "Image": True,
    "HardBreak": True,
}

# What may be stored and shown: a fixed allow-list, whatever the editor produced.
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "s", "sub", "sup",
    "ul", "ol", "li", "blockquote", "hr", "a", "figure", "figcaption", "img",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}


def _keep_attribute(element, attribute, value):
    """Keep an image's source only when it is in our own media storage."""
    if element == "img" and attribute == "src":
        own = value.startswith(settings.MEDIA_URL) and not value.startswith("//")
        # Browsers decode %2e%2e to "..": look at the path as they will resolve it.
        decoded = unquote(value)
        return value if own and ".." not in decoded and "\\" not in decoded else None
    return value


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
    strip_comments=True,
)
_IMG = re.compile(r"<img(?=[\s>])")
_EMPTY_PARAGRAPH = re.compile(r"^\s*(<p>\s*</p>\s*)*$")


def sanitize_html(html: str) -> str:
    """Return `html` reduced to the allow-list: no script, no styles, no event handlers."""
    if not html:
        return ""
    return _sanitize(html, settings.MEDIA_URL)


# Stored rich text is sanitised again each time it is shown, and the same few bodies are
# shown over and over (an essay page, the feeds' fifty entries): remember the latest
# results, keyed by the whole text (and the media URL images are checked against).
@functools.lru_cache(maxsize=128)
def _sanitize(html: str, media_url: str) -> str:
    # Images in a body are below the fold: the browser fetches them as the reader nears
    # them. Added after cleaning (nh3 has just removed any such attribute), in a fixed order.
    cleaned = _IMG.sub('<img loading="lazy" decoding="async"', _cleaner.clean(html))
    return "" if _EMPTY_PARAGRAPH.match(cleaned) else cleaned


def render_html(html: str) -> str:
    """Return stored rich text, sanitised again, marked safe for templates."""
    return mark_safe(sanitize_html(html))  # noqa: S308 - nh3 has just cleaned it


def word_count(html: str) -> int:
    """Return the number of words a reader sees in `html`."""
    return len(strip_tags(html).split())


class RichTextField(ProseEditorField):
    """A TextField edited in the WYSIWYG editor and sanitised on every save, however saved."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("extensions", EDITOR_EXTENSIONS)
        kwargs.setdefault("sanitize", sanitize_html)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname) or "")
        setattr(model_instance, self.attname, value)
        return value
