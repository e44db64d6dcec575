"""Newsletter side effects, used by the views, the admin and the commands alike."""

import csv
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from newsletter import tasks, tokens
from newsletter.consent import CONSENT_VERSION, CONSENT_WORDING
from newsletter.models import ConsentRecord, Subscriber, Suppression, new_key


@dataclass(frozen=True)
class SignupOutcome:
    subscriber: Subscriber
    confirmation_queued: bool


def normalize_email(email: str) -> str:
    """Return the address as stored: stripped and lower-cased (one subscriber per address)."""
    return email.strip().lower()


def hash_email(email: str) -> str:
    return salted_hmac(
        "newsletter.suppression", normalize_email(email), algorithm="sha256"
    ).hexdigest()


def hash_ip(ip_address: str | None) -> str:
    """Return a keyed hash of the address's network (/24 for IPv4, /48 for IPv6), never the IP."""
    if not ip_address:
        return ""
    try:
        ip = ipaddress.ip_address(ip_address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return salted_hmac("newsletter.ip", str(network), algorithm="sha256").hexdigest()


def _locked_subscriber(email: str) -> Subscriber:
    """Return the row for `email`, locked for this transaction, creating it if needed.

    Concurrent sign-ups of one address meet at the unique index: the loser waits for the
    winner's commit, then locks the winner's row instead of creating a second one.
    """
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None:
        return subscriber
    try:
        with transaction.atomic():
            return Subscriber.objects.create(email=email)
    except IntegrityError:
        return Subscriber.objects.select_for_update().get(email=email)


def subscribe(
    *,
    email: str,
    name: str = "",
    source_url: str = "",
    ip_address: str | None = None,
    consent_wording: str = CONSENT_WORDING,
    consent_version: str = CONSENT_VERSION,
) -> SignupOutcome:
    """Record a sign-up and its consent, and queue the confirmation email, in one transaction.

    With the database task backend the email task is a row in the same transaction, so a
    sign-up is never lost to a mail outage (other backends: `enqueue_with_transaction`). A
    pending address gets at most one confirmation per resend interval; a confirmed one gets
    nothing new. Callers answer the same whatever happened.
    """
    email = normalize_email(email)
    now = timezone.now()
    with transaction.atomic():
        subscriber = _locked_subscriber(email)
        if subscriber.status == Subscriber.Status.CONFIRMED:
            return SignupOutcome(subscriber, confirmation_queued=False)
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.PENDING
            subscriber.confirmation_key = new_key()
            subscriber.confirmation_sent_at = None
        if name:
            subscriber.name = name
        ConsentRecord.objects.create(
            subscriber=subscriber,
            wording=consent_wording,
            wording_version=consent_version,
            source_url=source_url[:500],
            ip_hash=hash_ip(ip_address),
        )
        resend_after = timedelta(seconds=settings.NEWSLETTER_RESEND_INTERVAL)
        queue = subscriber.confirmation_sent_at is None or (
            now - subscriber.confirmation_sent_at >= resend_after
        )
        if queue:
            subscriber.confirmation_sent_at = now
        subscriber.save()
        if queue:
            tasks.enqueue_with_transaction(
                tasks.send_confirmation_email, subscriber.pk, now.isoformat()
            )
    return SignupOutcome(subscriber, confirmation_queued=queue)


def pending_subscriber_for(token: str) -> Subscriber:
    """Return the pending subscriber a confirmation token names, or raise a token error."""
    data = tokens.read_confirmation_token(token)
    subscriber = Subscriber.objects.filter(pk=data.subscriber_id).first()
    if subscriber is None or not secrets.compare_digest(subscriber.confirmation_key, data.key):
        raise tokens.UsedToken
    if subscriber.status != Subscriber.Status.PENDING:
        raise tokens.UsedToken
    return subscriber


def confirm(*, token: str) -> Subscriber:
    """Confirm the subscription a token names (once), and queue the welcome email."""
    data = tokens.read_confirmation_token(token)
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=data.subscriber_id).first()
        if (
            subscriber is None
            or subscriber.status != Subscriber.Status.PENDING
            or not secrets.compare_digest(subscriber.confirmation_key, data.key)
        ):
            raise tokens.UsedToken
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
        subscriber.confirmation_key = new_key()
        subscriber.save()
        latest_consent = subscriber.consents.order_by("-submitted_at", "-pk").first()
        if latest_consent is not None:
            latest_consent.confirmed_at = now
            latest_consent.save(update_fields=["confirmed_at"])
        # A fresh, confirmed sign-up lifts an earlier erasure's suppression.
        Suppression.objects.filter(email_hash=hash_email(subscriber.email)).delete()
        tasks.enqueue_with_transaction(tasks.send_welcome_email, subscriber.pk)
    return subscriber


def subscriber_for_unsubscribe(token: str) -> Subscriber | None:
    """Return the subscriber an unsubscribe token names; None if they have been erased."""
    data = tokens.read_unsubscribe_token(token)
    subscriber = Subscriber.objects.filter(pk=data.subscriber_id).first()
    if subscriber is not None and not secrets.compare_digest(subscriber.unsubscribe_key, data.key):
        raise tokens.InvalidToken
    return subscriber


def unsubscribe(*, token: str) -> Subscriber | None:
    """Unsubscribe whoever the token names; repeating it is harmless. None if erased."""
    subscriber = subscriber_for_unsubscribe(token)
    if subscriber is None:
        return None
    return unsubscribe_subscriber(subscriber=subscriber)


def unsubscribe_subscriber(*, subscriber: Subscriber) -> Subscriber:
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
            subscriber.save(update_fields=["status", "unsubscribed_at"])
            subscriber.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    return subscriber


def erase_subscriber(*, subscriber: Subscriber) -> None:
    """Delete a subscriber's personal data, keeping only a keyed hash to suppress the address."""
    with transaction.atomic():
        Suppression.objects.get_or_create(email_hash=hash_email(subscriber.email))
        subscriber.delete()


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email_hash=hash_email(email)).exists()


def purge_unconfirmed(*, older_than: timedelta | None = None) -> int:
    """Delete sign-ups never confirmed whose last sign-up is older than the retention period."""
    if older_than is None:
        older_than = timedelta(days=settings.NEWSLETTER_UNCONFIRMED_RETENTION_DAYS)
    cutoff = timezone.now() - older_than
    stale = (
        Subscriber.objects.filter(
            status=Subscriber.Status.PENDING, confirmed_at__isnull=True, created_at__lt=cutoff
        )
        .exclude(consents__submitted_at__gte=cutoff)
        .values_list("pk", flat=True)
    )
    stale_ids = list(stale)
    Subscriber.objects.filter(pk__in=stale_ids).delete()
    return len(stale_ids)


def subscriber_data(*, subscriber: Subscriber) -> dict:
    """Return everything held about a subscriber, for a data-access request."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "created_at": iso(subscriber.created_at),
        "confirmation_sent_at": iso(subscriber.confirmation_sent_at),
        "confirmed_at": iso(subscriber.confirmed_at),
        "unsubscribed_at": iso(subscriber.unsubscribed_at),
        "consents": [
            {
                "wording": consent.wording,
                "wording_version": consent.wording_version,
                "source_url": consent.source_url,
                "ip_hash": consent.ip_hash,
                "submitted_at": iso(consent.submitted_at),
                "confirmed_at": iso(consent.confirmed_at),
                "withdrawn_at": iso(consent.withdrawn_at),
            }
            for consent in subscriber.consents.order_by("submitted_at", "pk")
        ],
    }


def write_confirmed_csv(stream) -> int:
    """Write confirmed subscribers as CSV to `stream`; return how many rows were written."""
    writer = csv.writer(stream)
    writer.writerow(["email", "name", "confirmed_at"])
    count = 0
    confirmed = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).order_by("email")
    for email, name, confirmed_at in confirmed.values_list("email", "name", "confirmed_at"):
        confirmed = confirmed_at.isoformat() if confirmed_at else ""
        writer.writerow([_csv_safe(email), _csv_safe(name), confirmed])
        count += 1
    return count


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas in user-supplied text (CSV injection)."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
