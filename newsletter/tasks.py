"""Background email sending, with retries the database task backend does not do itself."""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from newsletter import emails
from newsletter.models import Subscriber

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def _send_or_retry(message, retry_task, args, attempt):
    try:
        message.send()
    except TRANSIENT_ERRORS:
        delays = settings.NEWSLETTER_EMAIL_RETRY_DELAYS
        if attempt > len(delays) or not retry_task.get_backend().supports_defer:
            logger.exception("Giving up on %s after %d attempts", retry_task.name, attempt)
            raise
        run_after = timezone.now() + timedelta(seconds=delays[attempt - 1])
        retry_task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1)
        logger.warning(
            "Sending failed (attempt %d); retrying %s at %s", attempt, retry_task.name, run_after
        )
        raise
    return f"sent {message.extra_headers['Message-ID']}"


@task
def send_confirmation_email(subscriber_id: int, requested_at: str, attempt: int = 1) -> str:
    """Send the confirmation requested at `requested_at`, unless a newer request replaced it."""
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.PENDING
    ).first()
    if subscriber is None:
        return "skipped: no longer pending"
    sent_at = subscriber.confirmation_sent_at
    if sent_at is None or sent_at != datetime.fromisoformat(requested_at):
        return "skipped: superseded by a newer confirmation request"
    return _send_or_retry(
        emails.confirmation_message(subscriber),
        send_confirmation_email,
        (subscriber_id, requested_at),
        attempt,
    )


@task
def send_welcome_email(subscriber_id: int, attempt: int = 1) -> str:
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.CONFIRMED
    ).first()
    if subscriber is None:
        return "skipped: no longer confirmed"
    return _send_or_retry(
        emails.welcome_message(subscriber), send_welcome_email, (subscriber_id,), attempt
    )
