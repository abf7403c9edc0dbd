"""Helpers of `bench/live_latency.py`: cloud sockets, the Django bootstrap, the bare relay."""
