"""The Channels layer: channels_redis' pub/sub layer with publishes pipelined.

Upstream sends one PUBLISH at a time per process (each waits for the previous reply under
a lock), so a worker fanning out hundreds of events a second spent most of its time
waiting on Redis round trips. Here every publish joins an outbox that one task drains
into a pipeline: one round trip for whatever accumulated while the last one was in
flight, and still in call order, so a page never sees a thing's older state after its
newer one.

A channel may also have a handler that takes its messages as the reader gets them
(`deliver_now`): a page socket that is idle sends a thing's new state in the reader's own
turn, instead of each of ten sockets waiting for its task to be woken (issue 18).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close

log = logging.getLogger(__name__)
NOWAIT_BACKLOG = 1000  # messages queued for Redis beyond which group_send_now is declined
DECODED_KEPT = 2048  # messages whose decoding is shared: more than any socket's backlog
# Given a message as it came from Redis: True if it handled it; False to queue it as usual.
NowHandler = Callable[[bytes], bool]


class PipelinedShard(RedisSingleShardConnection):
    def __init__(self, host: Any, channel_layer: Any) -> None:
        super().__init__(host, channel_layer)
        # Each message with its caller's future (None: published without waiting).
        self._outbox: list[tuple[str, bytes, asyncio.Future[None] | None]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def publish(self, channel: str, message: bytes) -> None:
        future = asyncio.get_running_loop().create_future()
        self._outbox.append((channel, message, future))
        self._drain_soon()
        await future

    def publish_nowait(self, channel: str, message: bytes) -> None:
        """`publish` without waiting for Redis's reply: in call order with every other
        publish of the process; a failure is logged, not raised to anyone."""
        self._outbox.append((channel, message, None))
        self._drain_soon()

    def backlog(self) -> int:
        return len(self._outbox)

    def _drain_soon(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._outbox:
            batch, self._outbox = self._outbox, []
            try:
                self._ensure_redis()
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, message, _ in batch:
                        pipe.publish(channel, message)
                    await pipe.execute()
            except Exception as exc:  # every caller of the batch gets the error
                unawaited = 0
                for *_, future in batch:
                    if future is None:
                        unawaited += 1
                    elif not future.done():
                        future.set_exception(exc)
                if unawaited:
                    log.error("%d messages published without waiting were lost: %r", unawaited, exc)
            else:
                for *_, future in batch:
                    if future is not None and not future.done():
                        future.set_result(None)

    def _receive_message(self, message: Any) -> None:
        """Upstream's, with a channel's `deliver_now` handler asked first, and only when the
        channel's queue is empty (a message never overtakes one queued before it)."""
        if message is None:
            return
        name = message["channel"]
        if isinstance(name, bytes):
            name = name.decode()
        layer = self.channel_layer
        queues, handlers = layer.channels, layer.handlers
        targets = (name,) if name in queues else layer.groups.get(name, ())
        data = message["data"]
        for channel in tuple(targets):
            queue = queues.get(channel)
            if queue is None:
                continue
            handler = handlers.get(channel)
            if handler is not None and queue.empty() and _handled(handler, data):
                continue
            queue.put_nowait(data)


def _handled(handler: NowHandler, data: bytes) -> bool:
    try:
        return handler(data)
    except Exception:  # the reader serves every socket: one handler's bug must not stop it
        log.exception("a channel's deliver_now handler failed; its message is queued")
        return False


class PipelinedLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards: list[PipelinedShard] = [
            PipelinedShard(shard.host, self) for shard in self._shards
        ]
        self.handlers: dict[str, NowHandler] = {}  # channel → its deliver_now handler


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """Drop-in for `channels_redis.pubsub.RedisPubSubChannelLayer` (same CONFIG).

    A group message reaches every socket of the group in this process as one bytes object;
    upstream decodes it once per socket. Here it is decoded once: the sockets share the
    decoded message, which they only read (treat it as frozen).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(raw) → (raw, decoded); the raw bytes are kept so that the id is not reused.
        self._decoded: OrderedDict[int, tuple[bytes, Any]] = OrderedDict()

    def deserialize(self, message: bytes) -> Any:
        hit = self._decoded.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        value = super().deserialize(message)
        self._decoded[id(message)] = (message, value)
        if len(self._decoded) > DECODED_KEPT:
            self._decoded.popitem(last=False)
        return value

    def inbox(self, channel: str) -> asyncio.Queue[bytes] | None:
        """The queue this process fills with `channel`'s messages (a consumer reads its size
        on every message: looked up once, not through the layer each time)."""
        return self._get_layer().channels.get(channel)

    def group_send_now(self, group: str, message: dict[str, Any]) -> None:
        """`group_send` without waiting for Redis: the message is in the process's next
        pipeline, after every message sent before it. Check `backlogged()` first."""
        layer = self._get_layer()
        channel = layer._get_group_channel_name(group)
        shard = layer._get_shard(channel)
        shard.publish_nowait(channel, self.serialize(message))

    def backlogged(self) -> bool:
        """Redis is behind (or away): senders should wait for their replies, not add more."""
        return any(shard.backlog() >= NOWAIT_BACKLOG for shard in self._get_layer()._shards)

    def deliver_now(self, channel: str, handler: NowHandler | None) -> None:
        """Have the reader offer `channel`'s messages to `handler` before queueing them
        (None: stop). It runs in the reader's task: it must not block, and it may only
        return True when it did with the message all that receiving it would have done."""
        handlers = self._get_layer().handlers
        if handler is None:
            handlers.pop(channel, None)
        else:
            handlers[channel] = handler

    async def drop_channel(self, channel: str) -> None:
        """Unsubscribe a channel of this process, as `receive` does when it is cancelled
        (a consumer whose reader stopped elsewhere must not leave its subscription)."""
        layer = self._get_layer()
        layer.handlers.pop(channel, None)
        if layer.channels.pop(channel, None) is not None:
            await layer._get_shard(channel).unsubscribe(channel)

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = PipelinedLoopLayer(
                *self._args, **self._kwargs, channel_layer=self
            )
            _wrap_close(self, loop)
        return layer
