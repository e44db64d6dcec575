"""Page metadata for essays and authors (see series.metadata)."""

from series.metadata import SCHEMA, PageMeta, absolute, breadcrumb_list, image_url, person


def essay_meta(essay, crumbs, citation) -> PageMeta:
    """Return the essay page's metadata; Highwire tags come from the same `Citation` as the
    "Cite this essay" block, so the two cannot disagree."""
    site_name = citation.publisher
    path = essay.get_absolute_url()
    authors = essay.byline_authors
    published = essay.published_at.isoformat() if essay.published_at else None
    modified = essay.updated_at.isoformat() if essay.updated_at else None
    image = image_url(essay.hero_renditions)
    article = {
        "@context": SCHEMA,
        "@type": "Article",
        "headline": essay.title,
        "description": essay.standfirst,
        "url": absolute(path),
        "mainEntityOfPage": absolute(path),
        "author": [person(a.name, a.get_absolute_url()) for a in authors],
        "publisher": {"@type": "Organization", "name": site_name, "url": absolute("/")},
        "keywords": [topic.name for topic in essay.topic_list],
    }
    if published:
        article["datePublished"] = published
    if modified:
        article["dateModified"] = modified
    if image:
        article["image"] = [image]
    if essay.series and essay.series.is_published:
        article["isPartOf"] = {
            "@type": "CreativeWorkSeries",
            "name": essay.series.title,
            "url": absolute(essay.series.get_absolute_url()),
        }
    highwire = [("citation_title", citation.title)]
    highwire += [
        ("citation_author", f"{name.family}, {name.given}" if name.given else name.family)
        for name in citation.authors
    ]
    if citation.published:
        highwire.append(("citation_publication_date", citation.published.strftime("%Y/%m/%d")))
    highwire += [
        ("citation_publisher", citation.publisher),
        ("citation_fulltext_html_url", citation.url),
        ("citation_language", "en"),
    ]
    return PageMeta(
        title=essay.title,
        description=essay.standfirst,
        path=path,
        og_type="article",
        image=image,
        image_alt=essay.hero_alt,
        published=published,
        modified=modified,
        author_urls=[absolute(a.get_absolute_url()) for a in authors],
        citation=highwire,
        json_ld=[article, breadcrumb_list(crumbs, path)],
    )


def author_meta(author) -> PageMeta:
    path = author.get_absolute_url()
    image = image_url(author.portrait_renditions)
    profile = person(author.name, path)
    if author.role:
        profile["jobTitle"] = author.role
    if author.website:
        profile["sameAs"] = [author.website]
    if image:
        profile["image"] = image
    description = (
        f"{author.role}. Essays by {author.name}." if author.role else (f"Essays by {author.name}.")
    )
    return PageMeta(
        title=author.name,
        description=description,
        path=path,
        og_type="profile",
        image=image,
        image_alt=author.portrait_alt,
        json_ld=[
            {
                "@context": SCHEMA,
                "@type": "ProfilePage",
                "url": absolute(path),
                "mainEntity": profile,
            }
        ],
    )
