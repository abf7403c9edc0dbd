"""What a resync keeps of the reports that came while it ran: one folded update per run."""

from __future__ import annotations

from devices.plugins.base import DevicePlugin
from realtime.worker.pending_reports import PendingReports, merges_by_default


def test_a_chatty_device_keeps_one_update_however_many_it_sends():
    pending = PendingReports()
    for n in range(10_000):
        pending.params("a", {"temperature": n, "switches": [{"outlet": n % 4, "switch": "on"}]})
    pending.params("b", {"switch": "on"})
    assert len(pending) == 2
    (_, kind, last), (device, _, only) = list(pending)
    assert kind == "params"
    assert last["temperature"] == 9_999
    assert [item["outlet"] for item in last["switches"]] == [0, 1, 2, 3]
    assert (device, only) == ("b", {"switch": "on"})


def test_online_flags_stay_in_order_between_updates():
    pending = PendingReports()
    pending.params("a", {"switch": "on"})
    pending.online("a", False)
    pending.online("a", True)
    pending.params("a", {"switch": "off"})
    pending.params("a", {"rssi": -40})
    assert list(pending) == [
        ("a", "params", {"switch": "on"}),
        ("a", "online", False),
        ("a", "online", True),
        ("a", "params", {"switch": "off", "rssi": -40}),
    ]


def test_updates_that_do_not_fold_are_kept_apart():
    pending = PendingReports()
    pending.params("a", {"switches": [{"switch": "on"}]})
    pending.params("a", {"switches": [{"outlet": 0, "switch": "off"}]})
    pending.params("a", {"switch": "on"}, foldable=False)
    pending.params("a", {"switch": "off"}, foldable=False)
    assert len(pending) == 4


def test_a_plugin_with_its_own_merge_is_not_folded():
    class Own(DevicePlugin):
        def merge(self, current, incoming):  # type: ignore[no-untyped-def]
            return {**current, **incoming}

    assert merges_by_default(DevicePlugin())
    assert not merges_by_default(Own())
