"""The consent wording shown beside the sign-up checkbox, and its version.

Change the version whenever the wording changes: each consent record keeps both.
"""

CONSENT_VERSION = "2026-11-1"
CONSENT_WORDING = (
    "Yes, email me the newsletter with the latest research, essays and events. "
    "I can unsubscribe at any time with one click."
)
