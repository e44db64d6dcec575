from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from newsletter.services import purge_unconfirmed


class Command(BaseCommand):
    help = "Delete newsletter sign-ups never confirmed within the retention period (30 days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=settings.NEWSLETTER_UNCONFIRMED_RETENTION_DAYS
        )

    def handle(self, *args, days, **options):
        deleted = purge_unconfirmed(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} unconfirmed sign-up(s) older than {days} days.")
