"""The newsletter's emails: plain text and HTML, sent in the site's name."""

from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from newsletter import tokens
from series.models import SiteSettings


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _sender(site_name: str) -> str:
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((site_name, address))


def _message_id(kind: str, subscriber, sent_at) -> str:
    # Stable for one logical email, so a retried send is recognisable as the same message.
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{kind}.{subscriber.pk}.{int(sent_at.timestamp())}@{domain}>"


def _build(kind, subscriber, *, subject, context, sent_at, unsubscribe=True):
    site = SiteSettings.load()
    context = {"site": site, "subscriber": subscriber, "site_url": settings.SITE_URL, **context}
    headers = {"Message-ID": _message_id(kind, subscriber, sent_at)}
    if unsubscribe:
        unsubscribe_url = absolute_url(
            reverse("newsletter:unsubscribe", args=[tokens.make_unsubscribe_token(subscriber)])
        )
        context["unsubscribe_url"] = unsubscribe_url
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject.format(site=site.name),
        body=render_to_string(f"newsletter/email/{kind}.txt", context),
        from_email=_sender(site.name),
        to=[subscriber.email],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string(f"newsletter/email/{kind}.html", context), "text/html"
    )
    return message


def confirmation_message(subscriber) -> EmailMultiAlternatives:
    confirm_url = absolute_url(
        reverse("newsletter:confirm", args=[tokens.make_confirmation_token(subscriber)])
    )
    days = settings.NEWSLETTER_CONFIRMATION_MAX_AGE // 86400
    return _build(
        "confirmation",
        subscriber,
        subject="Confirm your subscription to the {site} newsletter",
        context={"confirm_url": confirm_url, "valid_days": days},
        sent_at=subscriber.confirmation_sent_at,
        # Not subscribed yet: nothing to unsubscribe from.
        unsubscribe=False,
    )


def welcome_message(subscriber) -> EmailMultiAlternatives:
    return _build(
        "welcome",
        subscriber,
        subject="Welcome to the {site} newsletter",
        context={},
        sent_at=subscriber.confirmed_at,
    )
