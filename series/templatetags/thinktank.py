"""Template helpers shared by every page: rich text, bylines, responsive images."""

import json
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from series import images
from series.links import slug_url
from series.richtext import render_html

register = template.Library()


@register.simple_tag
def names(people, link=False):
    """Join people's names as "A", "A & B" or "A, B & C", linked to their pages if `link`.

    A series card may credit dozens of contributors: a tag, not a template loop per name.
    """
    if link:
        parts = [format_html('<a href="{}">{}</a>', p.get_absolute_url(), p.name) for p in people]
    else:
        parts = [conditional_escape(p.name) for p in people]
    if len(parts) > 1:
        parts = [", ".join(parts[:-1]), parts[-1]]
    return mark_safe(" &amp; ".join(parts))  # noqa: S308 - every part is escaped above


@register.filter
def topic_url(topic):
    """Return the URL of a topic's page (taggit's Tag has no get_absolute_url)."""
    return slug_url("essays:topic", topic.slug)


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
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{settings.SITE_URL}{request.path}{query}"
