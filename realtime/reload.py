"""Tell the workers holding accounts to reload their things after a change made elsewhere.

A sync run by Celery or a page's action changes things the worker keeps in memory (a new
device, a renamed channel, a regrouped member): without a reload it would ignore the new
device's frames and draw cards from the old layout.
"""

from __future__ import annotations

from channels.layers import get_channel_layer

from realtime import redis as keys


async def ask_to_reload(account_ids: list[int]) -> None:
    layer = get_channel_layer()
    if layer is None or not account_ids:
        return
    holders = await keys.client().mget([keys.lease_key(a) for a in account_ids])
    for account_id, holder in zip(account_ids, holders, strict=True):
        if holder:
            await layer.send(str(holder), {"type": "account.reload", "account": account_id})
