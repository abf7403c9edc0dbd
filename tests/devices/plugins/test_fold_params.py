"""`fold_params`: one update that does what two do in turn, or None where none does."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.plugins.arrays import fold_params, merge_params

values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["on", "off"]))
keyed = st.lists(
    st.fixed_dictionaries({"outlet": st.integers(0, 3)}, optional={"switch": values}),
    max_size=3,
)
unkeyed = st.lists(st.fixed_dictionaries({"switch": values}), min_size=1, max_size=3)
arrays = st.one_of(keyed, unkeyed, values)
# The outlet array is always there: the cases that matter are the arrays' kinds in turn.
params = st.fixed_dictionaries(
    {"switches": arrays}, optional={"switch": values, "rssi": values, "pulses": arrays}
)


@settings(max_examples=300)
@given(params, params, params)
def test_a_fold_does_what_the_two_updates_do_in_turn(base: Any, first: Any, second: Any) -> None:
    folded = fold_params(first, second)
    if folded is not None:
        assert merge_params(base, folded) == merge_params(merge_params(base, first), second)


def test_updates_of_different_outlets_fold_into_one():
    first = {"switches": [{"outlet": 0, "switch": "on"}], "rssi": -50}
    second = {"switches": [{"outlet": 1, "switch": "off"}], "rssi": -60}
    assert fold_params(first, second) == {
        "switches": [{"outlet": 0, "switch": "on"}, {"outlet": 1, "switch": "off"}],
        "rssi": -60,
    }


def test_an_array_not_keyed_by_outlet_in_both_does_not_fold():
    # Replacing the array, then merging into the replacement by outlet, is no single update.
    assert fold_params({"switches": [{"switch": "on"}]}, {"switches": [{"outlet": 0}]}) is None
    assert fold_params({"switches": [{"outlet": 0}]}, {"switches": [{"switch": "on"}]}) is None
    assert fold_params({"switches": [{"switch": "on"}]}, {"rssi": 1}) == {
        "switches": [{"switch": "on"}],
        "rssi": 1,
    }
