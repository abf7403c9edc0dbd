"""Every Redis client of the deployment takes REDIS_URL's password, user, database and TLS.

The unit test reads each consumer's connection settings as the real settings module derives
them (in a subprocess, from `rediss://user:pass@host:port/db`), without connecting. The
integration test runs them against a private password-protected redis-server.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from kombu import Connection

from accounts.governor import shared_governor
from dashboard.env_parsing import redis_url_for_celery
from realtime.layer import PubSubChannelLayer
from realtime.worker.leases import LeaseStore, lease_holder

ROOT = Path(__file__).resolve().parents[2]

# What each consumer connects with, printed as JSON by `manage.py shell`.
_PROBE = """
import asyncio, json
from django.conf import settings
from django.core.cache import cache
from channels.layers import get_channel_layer
from jobs import locks
from accounts.governor import shared_governor
from dashboard.beat import BeatLease
from dashboard.celery import app
from realtime import redis as keys
import redis

def pool_info(pool):
    kw = pool.connection_kwargs
    made = pool.make_connection()  # not connected yet
    reqs = getattr(made, "cert_reqs", None) or getattr(made.ssl_context, "cert_reqs", None)
    return {"class": pool.connection_class.__name__, "host": kw.get("host"),
            "port": kw.get("port"), "username": kw.get("username"),
            "password": kw.get("password"), "db": kw.get("db"),
            "cert_reqs": int(reqs)}

async def async_pools():
    layer = get_channel_layer()._get_layer()
    shard = layer._shards[0]
    shard._ensure_redis()
    return {"channels": pool_info(shard._redis.connection_pool),
            "realtime": pool_info(keys.client().connection_pool)}

out = asyncio.run(async_pools())
out["cache"] = pool_info(cache._cache._get_connection_pool(True))
out["jobs"] = pool_info(locks._redis(settings.REDIS_URL).connection_pool)
out["beat"] = pool_info(BeatLease(settings.REDIS_URL, "k").redis.connection_pool)
governor_url = shared_governor(settings.REDIS_URL).url
out["governor"] = pool_info(redis.Redis.from_url(governor_url).connection_pool)
conn = app.connection_for_write()
out["celery"] = {"transport": conn.transport_cls, "host": conn.hostname, "port": conn.port,
                 "username": conn.userid, "password": conn.password, "db": conn.virtual_host,
                 "ssl": {k: int(v) for k, v in (conn.ssl or {}).items()}}
print(json.dumps(out))
"""


def test_every_consumer_derives_its_connection_from_a_rediss_url(tmp_path):
    url = "rediss://dash:s%40cret@redis.example.com:6380/2"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO")},
        "REDIS_URL": url,
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {"class": "SSLConnection", "host": "redis.example.com", "port": 6380,
                "username": "dash", "password": "s@cret", "db": 2,
                "cert_reqs": int(ssl.CERT_REQUIRED)}  # fmt: skip
    for consumer in ("channels", "realtime", "cache", "jobs", "beat", "governor"):
        assert found[consumer] == expected, consumer
    assert found["celery"] == {
        "transport": "rediss", "host": "redis.example.com", "port": 6380, "username": "dash",
        "password": "s@cret", "db": "2", "ssl": {"ssl_cert_reqs": int(ssl.CERT_REQUIRED)},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "celery"),
    [
        ("rediss://:pw@h:6380/0", "rediss://:pw@h:6380/0?ssl_cert_reqs=required"),
        (
            "rediss://h/0?ssl_ca_certs=/ca.pem",
            "rediss://h/0?ssl_ca_certs=/ca.pem&ssl_cert_reqs=required",
        ),
        ("rediss://h/0?ssl_cert_reqs=none", "rediss://h/0?ssl_cert_reqs=none"),
        ("redis://:pw@h:6379/1", "redis://:pw@h:6379/1"),
        ("unix:///run/redis.sock", "redis+socket:///run/redis.sock"),
    ],
)
def test_the_celery_broker_url_keeps_credentials_and_asks_for_certificate_checks(url, celery):
    assert redis_url_for_celery(url) == celery


# --- Against a real password-protected Redis ----------------------------------------------------


@pytest.fixture(scope="module")
def protected_redis() -> Iterator[str]:
    """A private redis-server on a free port that refuses clients without the password."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = uuid.uuid4().hex
    server = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_a_client_without_the_password_is_refused(protected_redis):
    without = protected_redis.replace(protected_redis.split("@")[0] + "@", "redis://")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(without).ping()


async def test_channels_layer_leases_and_governor_work_with_the_password(protected_redis):
    layer = PubSubChannelLayer(hosts=[protected_redis], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    await layer.group_add("household.9", channel)
    await layer.group_send("household.9", {"type": "household.event", "payload": {"n": 9}})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["payload"] == {"n": 9}
    await layer.flush()

    import redis.asyncio as aioredis

    async with aioredis.Redis.from_url(protected_redis, decode_responses=True) as client:
        leases = LeaseStore(client, holder="worker-a")
        assert await leases.acquire(4242)
        assert await lease_holder(client, 4242) == "worker-a"
        await leases.release(4242)

    governor = shared_governor(protected_redis)
    assert await governor._book("test/interface") >= 0  # booked in Redis, not the local fallback


def test_celery_broker_works_with_the_password(protected_redis):
    with Connection(redis_url_for_celery(protected_redis)) as conn:
        queue = conn.SimpleQueue(f"test-{uuid.uuid4().hex[:8]}")
        queue.put({"hello": "auth"})
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.payload == {"hello": "auth"}
