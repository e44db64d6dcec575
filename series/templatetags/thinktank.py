"""Template helpers shared by every page: rich text, bylines, responsive images."""

import json
from html import escape as html_escape
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from series import images, links
from series.richtext import render_html

register = template.Library()


# Cards repeat these a few times each, on pages of twenty cards or more: they are tags that
# write their few elements directly, not template loops (a loop costs several times more),
# escaping with the standard library's html.escape(): Django's escape() is the same
# function behind a wrapper for lazy strings that costs more than the escaping.


@register.simple_tag
def names(authors, link=False):
    """Join authors' names as "A", "A & B" or "A, B & C", linked to their pages if `link`.

    A series card may credit dozens of contributors.
    """
    if link:
        author_url = links.slug_urls("essays:author")
        parts = [
            f'<a href="{html_escape(author_url(a.slug))}">{html_escape(a.name)}</a>'
            for a in authors
        ]
    else:
        parts = [html_escape(a.name) for a in authors]
    if len(parts) > 1:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return mark_safe(" &amp; ".join(parts))  # noqa: S308 - every part is escaped above


@register.simple_tag
def page_url(viewname, slug=None):
    """Return what `{% url viewname %}` or `{% url viewname slug %}` would, worked out once.

    For the links every page repeats (header, footer, feeds); see series.links.
    """
    return links.page_url(viewname) if slug is None else links.slug_url(viewname, slug)


@register.simple_tag
def topic_list(topics):
    """Render topics as a list of links to their pages (nothing when there are none)."""
    if not topics:
        return ""
    topic_url = links.slug_urls("essays:topic")
    items = "".join(
        f'<li><a href="{html_escape(topic_url(t.slug))}">{html_escape(t.name)}</a></li>'
        for t in topics
    )
    return mark_safe(f'<ul class="topic-list" aria-label="Topics">{items}</ul>')  # noqa: S308


@register.simple_tag
def time_tag(moment):
    """Render `<time datetime="(ISO 8601)">7 March 2026</time>` in the site's time zone.

    The output of `date:'c'` and `date:"j F Y"`, without `date`'s generic format parser.
    """
    if not moment:
        return ""
    local = template_localtime(moment)
    day = f"{local.day} {MONTHS[local.month]} {local.year:04d}"
    iso = local.isoformat()
    return mark_safe(f'<time datetime="{html_escape(iso)}">{html_escape(day)}</time>')  # noqa: S308


@register.filter
def rich_text(value):
    """Render stored editor HTML, sanitised again so hostile rows cannot inject script."""
    return render_html(value or "")


@register.simple_tag
def responsive_image(renditions, alt, sizes="100vw", lazy=True, css_class=""):
    """Render an <img> with WebP `srcset`, intrinsic size, and lazy loading below the fold."""
    source = images.default_source(renditions or {})
    if source is None:
        return ""
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}{}>',
        source["url"],
        images.srcset(renditions),
        sizes,
        source["width"],
        source["height"],
        alt,
        format_html(' loading="lazy" decoding="async"') if lazy else "",
        format_html(' class="{}"', css_class) if css_class else "",
    )


_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """Render structured data as <script type="application/ld+json">, safe against </script>."""
    if not data:
        return ""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped for <script>
    )


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """Return this page's absolute URL, keeping only the query parameters that select content."""
    request = context["request"]
    kept = {"topic": request.GET["topic"]} if request.GET.get("topic") else {}
    # The page actually shown, not whatever was asked for (?page=abc shows page 1).
    if (page := context.get("page_obj")) is not None and page.number > 1:
        kept["page"] = page.number
    # A keyset listing's page: the cursor it was asked for (essays.pagination.Window).
    if (window := context.get("window")) is not None and window.cursor:
        kept[window.cursor[0]] = window.cursor[1]
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{settings.SITE_URL}{request.path}{query}"
