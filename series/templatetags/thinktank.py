"""Template helpers shared by every page: rich text, bylines, responsive images."""

from django import template
from django.utils.html import format_html

from series import images
from series.richtext import render_html

register = template.Library()


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
