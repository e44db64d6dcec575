"""Signals of the base app, which every app may send without importing the project."""

from django.dispatch import Signal

# Sent after a change to published content that no model signal reports (bulk inserts,
# queryset updates, raw SQL): whatever caches pages must count it as a change.
content_changed_in_bulk = Signal()
