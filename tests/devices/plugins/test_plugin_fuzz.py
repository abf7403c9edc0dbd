"""A malformed cloud frame must never crash the worker: merge/state/controls tolerate garbage."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.plugins.base import DevicePlugin, InvalidControl
from tests.devices.plugins.conftest import plugin_instances

PLUGINS = plugin_instances()
# Keys the plugins actually read, so the fuzzer reaches the parsing code, not just .get misses.
KEYS = sorted(
    {key for p in PLUGINS for key in p.example_params}
    | {"switches", "configure", "pulses", "switch", "zyx_info", "ck_channel_name", "rfTrig1"}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["on", "off", "unavailable", "68.79", "1e400", "nan", "#ff0000", "white"]),
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from([*KEYS, "outlet", "br", "ct", "rfChl", "0"]), inner, max_size=4
        ),
        st.lists(st.fixed_dictionaries({"outlet": inner, "switch": inner}), max_size=4),
    ),
    max_leaves=12,
)
params_strategy = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), json_ish, max_size=8),
    json_ish,  # not even a dict
)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    plugin=st.sampled_from(PLUGINS),
    current=params_strategy,
    incoming=params_strategy,
    tags=params_strategy,
)
def test_merge_state_and_controls_never_raise(
    plugin: DevicePlugin, current: Any, incoming: Any, tags: Any
) -> None:
    merged = plugin.merge(current, incoming)
    assert isinstance(merged, dict)
    state = plugin.state(merged, tags)
    # allow_nan=False: NaN/inf would break the browser's JSON.parse
    json.dumps(state, allow_nan=False)
    assert isinstance(plugin.summary(state), str)
    for control in plugin.controls(merged, tags):
        try:
            sent = plugin.command(control.name, control.value, merged, tags)
        except InvalidControl:
            continue  # an unreadable current value is a fine reason to refuse
        json.dumps(sent, allow_nan=False)
    assert plugin.live_request(merged) is None or isinstance(plugin.live_request(merged), dict)


@settings(max_examples=60, deadline=None, database=None)
@given(first=params_strategy, second=params_strategy, plugin=st.sampled_from(PLUGINS))
def test_merge_commands_never_raises(plugin: DevicePlugin, first: Any, second: Any) -> None:
    assert isinstance(plugin.merge_commands(first, second), dict)
