"""The websocket session: dispatch, handshake, heartbeat, commands and device events."""
