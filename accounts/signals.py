"""Signals accounts sends; other apps subscribe (accounts never imports them)."""

from django.dispatch import Signal

# A change a household's open pages should hear about. kwargs: household_id, payload (a dict
# with a "type" the page protocol knows, see realtime/events.py). realtime connects to it.
household_event = Signal()

# Queue a background job for an account (accounts never imports jobs; jobs answers it).
# kwargs: account_id, job (a JobKind value), expires (seconds, or None for the job's default).
# Sent with `send`, so a broker that cannot be reached raises to the sender.
job_requested = Signal()
# Something happened to a linked account that the household's logbook keeps (linked, linked
# again, sign-in renewed). kwargs: account_id, household_id, text. The logbook app connects.
account_event = Signal()
