"""Small security hooks named in settings."""


def login_username(request, credentials=None):
    """Return the username of a login attempt, as django-axes records it (at most 255 chars)."""
    source = credentials or getattr(request, "POST", {}) or {}
    return str(source.get("username", ""))[:255]
