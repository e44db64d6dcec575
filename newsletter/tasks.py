"""Background email sending, with retries the database task backend does not do itself."""

import functools
import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from newsletter import emails
from newsletter.models import Subscriber

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)
# Backends whose enqueue() is part of the caller's database transaction: the database one
# writes a row in it, the immediate one runs the task on the same connection.
IN_TRANSACTION_BACKENDS = (DatabaseBackend, ImmediateBackend)


def enqueue_with_transaction(task, *args, **kwargs) -> None:
    """Queue `task` so that it runs only if the caller's transaction commits.

    The database backend stores the task in that transaction: the sign-up and its email
    commit or roll back together. A backend whose queue is elsewhere (RQ, in Redis) is
    given the task once the transaction has committed; queued earlier, a worker could run it
    before the subscriber's row is visible and skip it. If that queue is unreachable then,
    the sign-up stays committed and the error is logged.
    """
    if isinstance(task.get_backend(), IN_TRANSACTION_BACKENDS):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(functools.partial(task.enqueue, *args, **kwargs), robust=True)


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
