"""Signals accounts sends; other apps subscribe (accounts never imports them)."""

from django.dispatch import Signal

# A change a household's open pages should hear about. kwargs: household_id, payload (a dict
# with a "type" the page protocol knows, see realtime/events.py). realtime connects to it.
household_event = Signal()
