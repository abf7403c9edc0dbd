"""Sign-up attempt counters live in the cache (Redis): each test starts with none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_signup_counters(redis_url: str) -> Iterator[None]:
    yield
    client = redis.Redis.from_url(redis_url)
    pattern = cache.make_key("signup-attempts:*")
    for key in client.scan_iter(match=pattern):
        client.delete(key)
