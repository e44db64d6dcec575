"""Lasting URLs: a page whose slug changes keeps answering at its old address.

Moves are stored as rows of Django's redirects app, the same table staff use in the admin
for the old site's URLs, and RedirectFallbackMiddleware answers them with a 301.
"""

from django.conf import settings
from django.contrib.redirects.models import Redirect


def previous_url(instance) -> str | None:
    """Return the URL `instance` had before this save, if its slug is changing."""
    if instance._state.adding or instance.pk is None:
        return None
    manager = type(instance)._default_manager
    old_slug = manager.filter(pk=instance.pk).values_list("slug", flat=True).first()
    if not old_slug or old_slug == instance.slug:
        return None
    return type(instance)(pk=instance.pk, slug=old_slug).get_absolute_url()


def record_move(old_path: str, new_path: str) -> None:
    """Redirect `old_path` permanently to `new_path`, re-pointing earlier moves (no chains)."""
    if not old_path or old_path == new_path:
        return
    redirects = Redirect.objects.filter(site_id=settings.SITE_ID)
    redirects.filter(new_path=old_path).update(new_path=new_path)
    redirects.filter(old_path=new_path).delete()  # the page moved back to an old address
    Redirect.objects.update_or_create(
        site_id=settings.SITE_ID, old_path=old_path, defaults={"new_path": new_path}
    )
