"""The tolerant readers, the outlet merge and control validation that every plugin relies on."""

from __future__ import annotations

from typing import Any

import pytest

from devices.plugins.arrays import merge_by_outlet, merge_params
from devices.plugins.base import Control, InvalidControl, validate
from devices.plugins.values import channel_name, invert_percent, on_off, to_float, to_int


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [
        ("68.79", 1, 68.79),
        (68.78, 1, 68.78),
        (" 12.5 ", 1, 12.5),
        (6879, 0.01, 68.79),
        ("2150", 0.01, 21.5),
        (198, 0.1, 19.8),
        ("unavailable", 1, None),
        ("", 1, None),
        ("1e400", 1, None),
        (float("nan"), 1, None),
        (True, 1, None),
        (None, 1, None),
        ([1], 1, None),
        ("12,5", 1, None),
    ],
)
def test_to_float(raw: Any, scale: float, expected: float | None) -> None:
    assert to_float(raw, scale) == expected


def test_scaled_values_are_rounded_to_the_scale() -> None:
    assert to_float(2215, 0.01) == 22.15  # not 22.150000000000002
    assert to_int("3.0") == 3
    assert to_int(10**30) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("on", True), ("off", False), (True, True), (0, False), (1, True), (2, None), ("", None)],
)
def test_on_off(raw: Any, expected: bool | None) -> None:
    assert on_off(raw) is expected


def test_invert_percent() -> None:
    assert [invert_percent(v) for v in (0, 100, "30", 101, None)] == [100, 0, 70, None, None]


def test_channel_name() -> None:
    tags = {"ck_channel_name": {"0": " Kitchen ", "1": "", "2": None}}
    assert [channel_name(tags, o) for o in range(4)] == ["Kitchen", None, None, None]
    assert channel_name("garbage", 0) is None


class TestOutletMerge:
    def test_new_outlets_are_added_in_order(self) -> None:
        merged = merge_by_outlet([{"switch": "on", "outlet": 2}], [{"switch": "off", "outlet": 0}])
        assert merged == [{"switch": "off", "outlet": 0}, {"switch": "on", "outlet": 2}]

    def test_array_without_outlets_replaces(self) -> None:
        assert merge_by_outlet([{"outlet": 0}], [{"x": 1}]) == [{"x": 1}]
        assert merge_params({"switches": [{"outlet": 0}]}, {"switches": "off"}) == {
            "switches": "off"
        }

    def test_string_outlets_are_read(self) -> None:
        merged = merge_by_outlet(
            [{"switch": "on", "outlet": 0}], [{"switch": "off", "outlet": "0"}]
        )
        assert merged == [{"switch": "off", "outlet": "0"}]

    def test_inputs_are_never_mutated(self) -> None:
        current = {"switches": [{"switch": "on", "outlet": 0}]}
        incoming = {"switches": [{"switch": "off", "outlet": 0}]}
        merge_params(current, incoming)
        assert current == {"switches": [{"switch": "on", "outlet": 0}]}
        assert incoming == {"switches": [{"switch": "off", "outlet": 0}]}


class TestValidation:
    def test_range_with_whole_steps_returns_int(self) -> None:
        control = Control("brightness", "range", "Brightness", min=1, max=100, step=1)
        assert validate(control, "40") == 40
        assert isinstance(validate(control, 40.0), int)

    def test_range_message(self) -> None:
        control = Control("brightness", "range", "Brightness", min=1, max=100, step=1)
        with pytest.raises(InvalidControl, match=r"^Brightness must be between 1 and 100$"):
            validate(control, 0)

    def test_unbounded_number(self) -> None:
        control = Control("offset", "number", "Offset")
        assert validate(control, "-1.5") == -1.5
        with pytest.raises(InvalidControl, match="Offset must be a number"):
            validate(control, "x")

    def test_toggle_words(self) -> None:
        control = Control("switch", "toggle", "Power")
        assert [validate(control, v) for v in ("on", "OFF", "true", 0, True)] == [
            True,
            False,
            True,
            False,
            True,
        ]

    def test_colour(self) -> None:
        control = Control("color", "color", "Colour")
        assert validate(control, "#FF8000") == (255, 128, 0)
        assert validate(control, "00ff00") == (0, 255, 0)
