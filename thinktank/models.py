from django.db import models


class ContentVersion(models.Model):
    """One row: the version of everything public pages show, the page cache's clock.

    Any change to published content adds one to `version` in the same transaction, so a
    cached page is keyed by the version it was rendered at and can never outlive the
    content it shows. `next_change_at` is when the earliest scheduled item goes live: a
    page cached before then stops being served at that moment. Times are microseconds
    since the epoch, so one plain SQL read gives the same values on every database.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.BigIntegerField(default=1)
    changed_at = models.BigIntegerField(default=0, help_text="Microseconds since the epoch.")
    next_change_at = models.BigIntegerField(
        null=True, help_text="Microseconds since the epoch; empty when nothing is scheduled."
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"content version {self.version}"
