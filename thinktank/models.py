from django.db import models

from series.richtext import RichTextField

DEFAULT_SITE_NAME = "Policy Network"
DEFAULT_TAGLINE = "Leading international thinktank and political network"


class SiteSettings(models.Model):
    """The site's name, tagline and "about" text: one row, edited by staff in the admin."""

    name = models.CharField("site name", max_length=100, default=DEFAULT_SITE_NAME)
    tagline = models.CharField(max_length=200, default=DEFAULT_TAGLINE)
    about = RichTextField(
        "about text", blank=True, help_text="Shown in every page's footer, under “About us”."
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1  # there is only ever one
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """Return the site's settings, or unsaved defaults before staff first edit them."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
