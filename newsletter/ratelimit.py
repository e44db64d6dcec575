"""Per-IP rate limiting of sign-ups through the configured cache."""

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac


def client_ip(request) -> str:
    """Return the reader's IP address, as the outermost of our own proxies saw it.

    Behind PROXY_COUNT proxies (load balancer, CDN) that each append the address they
    received from to X-Forwarded-For, that is the PROXY_COUNT-th entry from the right:
    anything further left came from the client, who may have written it.
    """
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def signup_allowed(request) -> bool:
    """Count this sign-up against the client's IP; False once the limit is reached."""
    limit, window = settings.NEWSLETTER_SIGNUP_RATE_LIMIT
    ip_key = salted_hmac("newsletter.ratelimit", client_ip(request), algorithm="sha256")
    key = f"newsletter:signup-rate:{ip_key.hexdigest()}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit
