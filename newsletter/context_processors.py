from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.functional import lazy
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from newsletter.forms import SignupForm

AUTO_ID = "nl-%s"
# Stands in for the page's path while the blank form is rendered once; escaping leaves it be.
SOURCE_MARKER = "newsletter-source-marker"


def signup_form(request):
    """Give every page the newsletter sign-up form, remembering which page it is on."""
    return {"newsletter_form_html": lazy(blank_form_html, SafeString)(request.path)}


def blank_form_html(source: str) -> SafeString:
    """The unbound sign-up form's HTML, its hidden `source` field set to `source`.

    The form is the same on every page but for that one value, and rendering it through
    the widget templates costs a page more than its cards: it is rendered once per process
    (on every call while DEBUG is on, so template edits show) and the value put in.
    """
    before, after = (_split_blank_form if settings.DEBUG else _split_blank_form_once)()
    return mark_safe(before + escape(source) + after)  # noqa: S308 - the value is escaped


def _split_blank_form():
    form = SignupForm(initial={"source": SOURCE_MARKER}, auto_id=AUTO_ID)
    html = render_to_string("includes/newsletter_form.html", {"form": form})
    before, after = html.split(SOURCE_MARKER)
    return before, after


_split_blank_form_once = cache(_split_blank_form)
