"""Signed, purpose-scoped tokens for newsletter links.

A token carries only the subscriber's id and a random key: no address, even once
base64-decoded. Confirmation tokens expire and stop working once used (the key rotates);
unsubscribe tokens never expire.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"


class InvalidToken(Exception):
    """The token was tampered with, or was made for another purpose."""


class ExpiredToken(InvalidToken):
    """The token was genuine but is too old."""


@dataclass(frozen=True)
class TokenData:
    subscriber_id: int
    key: str


class _SignedAt(signing.TimestampSigner):
    """A timestamp signer that stamps a given moment instead of now."""

    def __init__(self, *, at, **kwargs):
        super().__init__(**kwargs)
        self.at = at

    def timestamp(self):
        return signing.b62_encode(int(self.at.timestamp()))


def _make(salt, subscriber_id, key, at=None):
    if at is None:
        return signing.dumps([subscriber_id, key], salt=salt, compress=False)
    return _SignedAt(at=at, salt=salt).sign_object([subscriber_id, key])


def _read(token, salt, max_age=None):
    try:
        subscriber_id, key = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken from exc
    if not isinstance(subscriber_id, int) or not isinstance(key, str):
        raise InvalidToken
    return TokenData(subscriber_id, key)


def make_confirmation_token(subscriber):
    # Stamped with the moment the reader asked: the link expires a set time after the
    # request, and a retried email carries exactly the same link.
    return _make(
        CONFIRM_SALT,
        subscriber.pk,
        subscriber.confirmation_key,
        at=subscriber.confirmation_sent_at,
    )


def read_confirmation_token(token):
    return _read(token, CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRMATION_MAX_AGE)


def make_unsubscribe_token(subscriber):
    return _make(UNSUBSCRIBE_SALT, subscriber.pk, subscriber.unsubscribe_key)


def read_unsubscribe_token(token):
    return _read(token, UNSUBSCRIBE_SALT)


class UsedToken(InvalidToken):
    """The token was genuine but has already done its job."""
