"""What a page tells search engines, social sites and scholars about itself.

Views build a PageMeta; templates/includes/meta.html renders the canonical link,
OpenGraph and Twitter card tags, Highwire Press citation tags and JSON-LD.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from series import images

SCHEMA = "https://schema.org"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def image_url(renditions: dict) -> str | None:
    """Return an absolute URL for the largest rendition, for cards and structured data."""
    sources = (renditions or {}).get("sources") or []
    if not sources:
        return None
    url = images.default_source(renditions, preferred_width=1200)["url"]
    return url if urlsplit(url).scheme else absolute(url)  # object storage URLs are absolute


def person(name: str, path: str) -> dict:
    return {"@type": "Person", "name": name, "url": absolute(path)}


def breadcrumb_list(crumbs, current_path: str) -> dict:
    """Return a schema.org BreadcrumbList: Home, then the crumbs (the last is this page)."""
    items = [{"name": "Home", "path": "/"}]
    items += [{"name": c["title"], "path": c.get("url") or current_path} for c in crumbs]
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": i,
                "name": item["name"],
                "item": absolute(item["path"]),
            }
            for i, item in enumerate(items, start=1)
        ],
    }


@dataclass
class PageMeta:
    title: str
    description: str
    path: str
    og_type: str = "website"
    image: str | None = None
    image_alt: str = ""
    published: str | None = None  # ISO 8601
    modified: str | None = None
    author_urls: list[str] = field(default_factory=list)
    citation: list[tuple[str, str]] = field(default_factory=list)  # Highwire Press tags
    json_ld: list[dict] = field(default_factory=list)

    @property
    def url(self) -> str:
        return absolute(self.path)

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image else "summary"


def series_meta(series, crumbs, essays) -> PageMeta:
    path = series.get_absolute_url()
    data = {
        "@context": SCHEMA,
        "@type": "CreativeWorkSeries",
        "name": series.title,
        "description": series.standfirst,
        "url": absolute(path),
        "hasPart": [
            {"@type": "Article", "headline": e.title, "url": absolute(e.get_absolute_url())}
            for e in essays
        ],
    }
    if series.published_at:
        data["datePublished"] = series.published_at.isoformat()
    if image := image_url(series.hero_renditions):
        data["image"] = image
    return PageMeta(
        title=series.title,
        description=series.standfirst,
        path=path,
        image=image,
        image_alt=series.hero_alt,
        json_ld=[data, breadcrumb_list(crumbs, path)],
    )
