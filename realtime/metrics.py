"""Metrics of the live path: page sockets (web) and the realtime worker.

Hot-path counters are bound once here (no labels, or labels fixed at import), so a frame
costs one increment and no allocation.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds: a control's round trip is ~0.1 s, the worker waits 5 s for a device's reply.
CONTROL_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0, 15.0)

# --- web: the page websockets (realtime/consumers.py) -----------------------------------
PAGE_SOCKETS = Gauge(
    "dashboard_page_sockets_open", "Page websockets open now", multiprocess_mode="livesum"
)
FRAMES_SENT = Counter("dashboard_page_frames_sent", "Frames sent to pages")
_FRAMES_DROPPED = Counter(
    "dashboard_page_frames_dropped",
    "Frames dropped: from pages (too large, binary) or to them (socket closed too far behind)",
    ["reason"],
)
DROPPED_TOO_LARGE = _FRAMES_DROPPED.labels("too_large")
DROPPED_BINARY = _FRAMES_DROPPED.labels("binary")
DROPPED_TOO_SLOW = _FRAMES_DROPPED.labels("too_slow")
PAGE_CONTROLS = Histogram(
    "dashboard_page_control_seconds",
    "Controls from pages, from the click's frame to its result, by path and result",
    ["via", "status"],
    buckets=CONTROL_BUCKETS,
)

# --- the realtime worker (realtime/worker/) ----------------------------------------------
ACCOUNTS_HELD = Gauge(
    "dashboard_realtime_accounts_held", "Accounts whose lease this worker holds",
    multiprocess_mode="livesum",
)  # fmt: skip
ACCOUNTS_CONNECTED = Gauge(
    "dashboard_realtime_accounts_connected", "Held accounts whose cloud websocket is up",
    multiprocess_mode="livesum",
)  # fmt: skip
REPORTS_HELD = Gauge(
    "dashboard_realtime_reports_held",
    "Device reports kept for resyncs still waiting on the cloud, to replay after them",
    multiprocess_mode="livesum",
)  # fmt: skip
CLOUD_EVENTS = Counter("dashboard_realtime_cloud_events", "Device frames in from the cloud")
EVENTS_PUBLISHED = Counter(
    "dashboard_realtime_events_published", "Thing events published to households' pages"
)
WORKER_CONTROLS = Histogram(
    "dashboard_realtime_control_seconds",
    "Controls sent on a cloud websocket, until the device's reply, by result",
    ["status"],
    buckets=CONTROL_BUCKETS,
)
RECONNECTS = Counter("dashboard_realtime_reconnects", "Cloud websockets connected again")
LEASE_LOSSES = Counter(
    "dashboard_realtime_lease_losses", "Account leases found taken by another worker"
)
