"""Newsletter test helpers: sign-up form data and the links emails carry.

The SMTP server and what it received live in tests/mail.py.
"""

from urllib.parse import urlsplit

SITE_URL = "https://www.policy-network.example"


def signup_data(address, **overrides):
    data = {
        "email": address,
        "name": "",
        "consent": "on",
        "website": "",
        "source": "/essays/the-new-wave-of-mutuality/",
    }
    data.update(overrides)
    return data


def path_of(url: str) -> str:
    """Return the path of an absolute link from an email, for the test client to follow."""
    assert url.startswith(SITE_URL + "/"), url
    return urlsplit(url).path
