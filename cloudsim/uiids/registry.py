"""UIID → parameter model and a typical product model name (notes §3.2)."""

from __future__ import annotations

from .base import Model
from .covers import Q4Cover, ZigbeeCurtain
from .lights import B0xBulb, B1Bulb, D1Dimmer, L1Strip, ZigbeeLight
from .meters import ScaledMeter, StringMeter
from .misc import RFBridge, Trv, ZigbeeBridge
from .sensors import BinarySensor, Button, DoorDW2, THSwitch, ZigbeeTH
from .switches import Fan, MultiSwitch, SingleSwitch


def _catalogue() -> dict[int, tuple[Model, str]]:
    single, generic = SingleSwitch(), Model()
    table: dict[int, tuple[Model, str]] = {
        1: (single, "BASICR2"),
        6: (single, "T1EU1C"),
        14: (single, "RE5V1C"),
        24: (single, "GSM-SW"),
        27: (single, "GSM-PLUG"),
        1009: (single, "S26R2ZB"),
        1256: (single, "ZBMINI"),
        7004: (single, "ZBMINIL2"),
        7010: (single, "ZBMicro"),
        225: (SingleSwitch(boolean=True), "CK-BL602-SW"),
        226: (SingleSwitch(boolean=True), "W102"),
        5: (StringMeter(with_vc=False), "POW"),
        32: (StringMeter(), "POWR2"),
        126: (ScaledMeter(channels=2), "DUALR3"),
        130: (ScaledMeter(channels=4), "SPM-4Relay"),
        190: (ScaledMeter(channels=1, per_outlet=False), "POWR316"),
        15: (THSwitch(), "TH16"),
        1770: (ZigbeeTH(), "SNZB-02"),
        1771: (ZigbeeTH(), "SNZB-02"),
        7014: (ZigbeeTH(), "SNZB-02P"),
        22: (B1Bulb(), "B1"),
        44: (D1Dimmer(), "D1"),
        59: (L1Strip(), "L1"),
        173: (L1Strip(), "L3"),
        103: (B0xBulb(), "B02-BL"),
        135: (B0xBulb(), "B02-BL"),
        104: (B0xBulb(rgb=True), "B05-BL"),
        136: (B0xBulb(rgb=True), "B05-BL"),
        1257: (ZigbeeLight(), "ZB-Dimmer"),
        1258: (ZigbeeLight(), "ZB-CCT"),
        3258: (ZigbeeLight(rgb=True), "ZB-RGBCW"),
        7009: (ZigbeeLight(rgb=True), "B05-BL-ZB"),
        11: (Q4Cover(), "KingArt-Q4"),
        258: (Q4Cover(), "CURTAIN"),
        7034: (Q4Cover(), "MINI-ZBRBS"),
        1514: (ZigbeeCurtain(), "ZM25"),
        7006: (ZigbeeCurtain(), "ZBCurtain"),
        34: (Fan(), "iFan03"),
        28: (RFBridge(), "RFBridge433"),
        102: (DoorDW2(), "DW2-WiFi"),
        154: (DoorDW2(), "DW2-WiFi-L"),
        3026: (BinarySensor(key="lock"), "SNZB-04"),
        7003: (BinarySensor(key="lock"), "SNZB-04P"),
        2026: (BinarySensor(key="motion"), "SNZB-03"),
        7002: (BinarySensor(key="motion"), "SNZB-03P"),
        4026: (BinarySensor(key="water"), "SNZB-05"),
        7019: (BinarySensor(key="water"), "SNZB-05P"),
        5026: (BinarySensor(key="smoke"), "SNZB-SMOKE"),
        1000: (Button(), "SNZB-01"),
        7000: (Button(), "SNZB-01P"),
        7017: (Trv(), "TRVZB"),
        66: (ZigbeeBridge(), "ZBBridge"),
        168: (ZigbeeBridge(), "ZBBridge-P"),
        243: (ZigbeeBridge(), "ZBBridge-U"),
    }
    multi = {
        2: 2,
        3: 3,
        4: 4,
        7: 2,
        8: 3,
        9: 4,
        29: 2,
        30: 3,
        31: 4,
        77: 1,
        78: 1,
        81: 1,
        107: 1,
        138: 1,
        160: 1,
        161: 2,
        162: 3,
        165: 2,
        182: 1,
    }
    for uiid, channels in multi.items():
        table[uiid] = (MultiSwitch(channels=channels), f"SW-{channels}CH-{uiid}")
    for uiid, channels in {2256: 2, 3256: 3, 4256: 4}.items():
        table[uiid] = (MultiSwitch(channels=channels, full_array=True), f"ZBMINI-{channels}G")
    table[0] = (generic, "UNKNOWN")
    return table


CATALOGUE = _catalogue()
ZIGBEE_BRIDGES = frozenset({66, 168, 243})


def model_for(uiid: int) -> Model:
    """The parameter model of a UIID; unknown UIIDs get transparent merging."""
    return CATALOGUE.get(uiid, CATALOGUE[0])[0]


def product_model(uiid: int) -> str:
    return CATALOGUE.get(uiid, CATALOGUE[0])[1]
