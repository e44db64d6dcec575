"""Small helpers for reading rendered pages and making test images."""

import html
import re
from html.parser import HTMLParser
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Inline elements join their neighbours' text, as a browser shows it; the rest separate it.
_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|em|i|s|span|strong|sub|sup|time)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text_of(markup) -> str:
    """Return what a reader sees in `markup` (str, bytes or a response): no tags, one-spaced."""
    if hasattr(markup, "content"):
        markup = markup.content
    if isinstance(markup, bytes):
        markup = markup.decode()
    markup = _TAG.sub(" ", _INLINE_TAG.sub("", markup))
    return _SPACE.sub(" ", html.unescape(markup)).strip()


def elements(markup: str, tag: str, css_class: str) -> list[str]:
    """Return the outer HTML of every `<tag class="css_class">` element (not nested in itself)."""
    pattern = re.compile(
        rf'<{tag}\b[^>]*\bclass="(?:[^"]*\s)?{re.escape(css_class)}(?:\s[^"]*)?"[^>]*>.*?</{tag}>',
        re.S,
    )
    return pattern.findall(markup)


def hrefs(markup: str) -> list[str]:
    return re.findall(r'<a\b[^>]*\bhref="([^"]*)"', markup)


def positions(haystack: str, needles) -> list[int]:
    """Return where each needle first appears in `haystack`, failing if one is missing."""
    found = []
    for needle in needles:
        index = haystack.find(needle)
        assert index >= 0, f"{needle!r} not found"
        found.append(index)
    return found


def image_upload(name="picture.jpg", size=(2000, 1000), image_format="JPEG"):
    """Return an uploaded image file made in memory with Pillow."""
    buffer = BytesIO()
    mode = "RGBA" if image_format == "PNG" else "RGB"
    Image.new(mode, size, (180, 40, 40)).save(buffer, image_format)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


class _FormParser(HTMLParser):
    """Collect what a browser would submit from the first <form> with `form_id` (or any)."""

    def __init__(self, form_id=None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.done = False
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._select_first = None
        self._select_chosen = False
        self._textarea = None
        self._text = []

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done:
            self.in_form = self.form_id is None or attrs.get("id") == self.form_id
            return
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self._add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._add(self._select, value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_data(response, form_id=None) -> dict:
    """Return the fields a browser would submit from the page's form, ready for client.post.

    Template rows of formsets (`__prefix__`) are left out, as the admin's JavaScript does.
    """
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    return {
        name: values if len(values) > 1 else values[0]
        for name, values in parser.data.items()
        if "__prefix__" not in name
    }
