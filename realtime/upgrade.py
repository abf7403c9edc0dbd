"""A firmware upgrade from a page: the `upgrade` action goes out on the account's socket.

Only the realtime worker holding the account's lease has that socket, so the order travels
over the channel layer as a `device.upgrade` message, and the worker's reply comes back on
a channel of our own.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict

from channels.layers import get_channel_layer

from devices.firmware_upgrade import UpgradeOrder
from realtime import redis as keys
from realtime.worker.leases import lease_holder

REPLY_TIMEOUT = 10.0  # the socket's own reply wait is 5 s; leave room for the hop


async def send_upgrade(order: UpgradeOrder) -> str:
    """The worker's status for the order: ok, offline, timeout, error or not_connected."""
    layer = get_channel_layer()
    holder = await lease_holder(keys.client(), order.account_id)
    if layer is None or not holder:
        return "not_connected"
    reply_to = await layer.new_channel("upgrade.")
    message = {
        "type": "device.upgrade",
        "request": uuid.uuid4().hex,
        "account": order.account_id,
        "reply_to": reply_to,
        **{k: v for k, v in asdict(order).items() if k != "account_id"},
    }
    await layer.send(holder, message)
    try:
        reply = await asyncio.wait_for(layer.receive(reply_to), REPLY_TIMEOUT)
    except TimeoutError:
        return "timeout"
    return str(reply.get("status") or "error")
