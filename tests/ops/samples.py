"""Reading a metric's current value from this process's registry."""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of one sample (0 when it was never set)."""
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value
