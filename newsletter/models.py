import secrets

from django.db import models
from django.db.models.functions import Lower


def new_key():
    return secrets.token_urlsafe(16)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    email = models.EmailField(max_length=254, help_text="Stored in lower case.")
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Rotated when a confirmation link is used, so each link works once.
    confirmation_key = models.CharField(max_length=32, default=new_key, editable=False)
    # Stable for the subscriber's lifetime: unsubscribe links never expire.
    unsubscribe_key = models.CharField(max_length=32, default=new_key, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_subscriber_email_ci"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="subscriber_status_idx")]

    def __str__(self):
        return self.email


class ConsentRecord(models.Model):
    """What a subscriber agreed to, when, and from where: one per sign-up."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    wording = models.TextField()
    wording_version = models.CharField(max_length=20)
    source_url = models.CharField("page signed up from", max_length=500, blank=True)
    ip_hash = models.CharField(
        "IP address (truncated, keyed hash)", max_length=64, blank=True, editable=False
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]

    def __str__(self):
        return f"Consent v{self.wording_version} at {self.submitted_at:%Y-%m-%d %H:%M}"


class Suppression(models.Model):
    """An erased subscriber's address, kept only as a keyed hash so it is never mailed again
    without a fresh sign-up and confirmation."""

    email_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Suppressed address {self.email_hash[:12]}…"
