"""Each ASGI request closes the database connection it opened, whatever CONN_MAX_AGE says.

Django runs every ASGI request's sync code in a thread of its own: a connection kept for reuse
is never reused, only left open until the garbage collector finds it (a burst of requests to a
Daphne with the collector tuned down ran PostgreSQL out of connections)."""

from __future__ import annotations

import pytest
from channels.testing import HttpCommunicator
from django.db import connections
from django.db.backends.signals import connection_created

from dashboard.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_burst_of_requests_leaves_no_connection_open(monkeypatch):
    # Persistent connections as a PostgreSQL deployment has them (SQLite's default is 0).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    opened = []  # strong references: nothing here is closed by the garbage collector

    def record(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(record)
    try:
        for _ in range(5):
            request = HttpCommunicator(
                application, "GET", "/readyz", headers=[(b"host", b"localhost")]
            )
            response = await request.get_response(timeout=10)
            assert response["status"] == 200
            await request.wait(timeout=10)  # the request's end, after its response was sent
    finally:
        connection_created.disconnect(record)
    left_open = [c.connection for c in opened if c.connection is not None]
    for raw in left_open:  # so that a failure here does not also block the database's teardown
        raw.close()
    assert len(opened) == 5  # a thread, and so a connection, per request
    assert left_open == []
